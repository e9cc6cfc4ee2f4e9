package dev.jnbdkit.cli;

import dev.jnbdkit.log.Log;
import dev.jnbdkit.posix.SelfProcess;

/**
 * Notices that the process which started the server has exited (we were re-parented), without a
 * native call: a daemon thread compares our parent's pid with the one the launcher saw, once a
 * second. For socket activation, where nbdkit exits with its parent.
 */
final class ParentWatch {
    private static final long PERIOD_MILLIS = 1000;

    private ParentWatch() {}

    static void start(Runnable onParentExit) {
        String noted = System.getenv("JNBDKIT_PARENT_PID"); // bin/jnbdkit's $PPID
        Thread.ofPlatform().daemon().name("parent-watch").start(() -> {
            long parent = noted != null ? Long.parseLong(noted) : SelfProcess.parentPid();
            while (true) {
                try {
                    Thread.sleep(PERIOD_MILLIS);
                } catch (InterruptedException e) {
                    return;
                }
                if (SelfProcess.parentPid() != parent) {
                    Log.debug("the parent process " + parent + " has exited: shutting down");
                    onParentExit.run();
                    return;
                }
            }
        });
    }
}
