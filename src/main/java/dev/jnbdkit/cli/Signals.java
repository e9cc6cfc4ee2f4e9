package dev.jnbdkit.cli;

import dev.jnbdkit.log.Log;
import dev.jnbdkit.posix.ProcessCalls;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * SIGINT, SIGQUIT and SIGTERM ask the server to stop cleanly (finish in-flight requests, close
 * handles, run cleanup, exit 0), as in nbdkit. The JVM keeps every other signal.
 */
final class Signals {
    private Signals() {}

    static void onTermination(Runnable action) {
        for (String name : new String[] {"INT", "TERM", "QUIT"}) {
            SignalHandler handler = s -> {
                Log.debug("received SIG" + name);
                action.run();
            };
            try {
                if (Signal.handle(new Signal(name), handler) == SignalHandler.SIG_IGN) {
                    // Ignored when we were started (a shell's `server &` ignores SIGINT): the JVM
                    // then leaves it ignored, but nbdkit installs its handler all the same. Off the
                    // start path: the first native call costs tens of milliseconds.
                    Thread.ofPlatform().daemon().name("sig" + name.toLowerCase(java.util.Locale.ROOT)).start(() -> {
                        ProcessCalls.defaultAction(new Signal(name).getNumber());
                        Signal.handle(new Signal(name), handler);
                    });
                }
            } catch (IllegalArgumentException e) {
                // The JVM reserves this signal (SIGQUIT without -Xrs): it keeps its own meaning.
                Log.debug("cannot handle SIG" + name + ": " + e.getMessage());
            }
        }
    }
}
