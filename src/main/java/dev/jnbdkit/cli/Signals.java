package dev.jnbdkit.cli;

import dev.jnbdkit.log.Log;
import sun.misc.Signal;

/**
 * SIGINT, SIGQUIT and SIGTERM ask the server to stop cleanly (finish in-flight requests, close
 * handles, run cleanup, exit 0), as in nbdkit. The JVM keeps every other signal.
 */
final class Signals {
    private Signals() {}

    static void onTermination(Runnable action) {
        for (String name : new String[] {"INT", "TERM", "QUIT"}) {
            try {
                Signal.handle(new Signal(name), s -> {
                    Log.debug("received SIG" + name);
                    action.run();
                });
            } catch (IllegalArgumentException e) {
                // The JVM reserves this signal (SIGQUIT without -Xrs): it keeps its own meaning.
                Log.debug("cannot handle SIG" + name + ": " + e.getMessage());
            }
        }
    }
}
