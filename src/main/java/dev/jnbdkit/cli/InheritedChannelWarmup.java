package dev.jnbdkit.cli;

import java.io.IOException;

/**
 * Starts the JDK's socket set-up early, on a second core. When the launcher has put a socket on
 * descriptor 0 (socket activation: {@code JNBDKIT_LISTEN_FD=0}; {@code -s} on a socket:
 * {@code JNBDKIT_STDIO_SOCKET=1}), the server will adopt it with {@code System.inheritedChannel()},
 * whose first call initialises the selector provider, the channel classes and the Unix-domain
 * support (which seeds a SecureRandom through the JCA providers): 15 to 20 ms on a cold JVM. The
 * JDK keeps the channel it made, so calling it now on a daemon thread lets that work run while
 * the main thread parses the command line and loads the plugin (the Python plugin's interpreter
 * takes far longer), and the later call returns the same channel.
 *
 * <p>A class, not a lambda, so that the AOT training (which runs it once, see {@link Training})
 * leaves nothing to spin at start-up.
 */
final class InheritedChannelWarmup implements Runnable {
    static void startIfALaunchedSocket() {
        if ("0".equals(System.getenv("JNBDKIT_LISTEN_FD")) || "1".equals(System.getenv("JNBDKIT_STDIO_SOCKET"))) {
            Thread t = new Thread(new InheritedChannelWarmup(), "inherited-channel");
            t.setDaemon(true);
            t.start();
        }
    }

    @Override
    public void run() {
        try {
            System.inheritedChannel();
        } catch (IOException | RuntimeException e) {
            // The main thread's own call reports what is wrong with descriptor 0.
        }
    }
}
