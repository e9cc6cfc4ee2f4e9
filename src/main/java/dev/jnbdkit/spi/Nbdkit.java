package dev.jnbdkit.spi;

import dev.jnbdkit.log.Log;

/**
 * The server services a plugin may call, like nbdkit's {@code nbdkit_*} functions: logging,
 * size parsing, the current connection's export name, shutdown and disconnect.
 *
 * <p>Connection-bound calls ({@link #exportName}, {@link #isTls}, {@link #disconnect}) answer for
 * the connection whose request the calling thread is serving.
 */
public final class Nbdkit {
    /** What the running server provides; installed once at start-up. */
    public interface Services {
        /** Ask the server to shut down asynchronously. */
        void shutdown();

        /** The connection the current thread serves, or null outside of one. */
        ConnectionInfo currentConnection();
    }

    /** A connection as a plugin may see it. */
    public interface ConnectionInfo {
        String exportName();

        boolean isTls();

        /** Drop the connection: at once if {@code force}, else after in-flight replies. */
        void disconnect(boolean force);
    }

    private static volatile Services services = new Services() {
        @Override public void shutdown() {}
        @Override public ConnectionInfo currentConnection() { return null; }
    };

    private Nbdkit() {}

    public static void install(Services s) { services = s; }

    public static void debug(String message) { Log.debug(message); }

    public static void error(String message) { Log.error(message); }

    public static void shutdown() { services.shutdown(); }

    /** The export name of the current connection, or null outside of a connection. */
    public static String exportName() {
        ConnectionInfo c = services.currentConnection();
        return c == null ? null : c.exportName();
    }

    public static boolean isTls() {
        ConnectionInfo c = services.currentConnection();
        return c != null && c.isTls();
    }

    public static void disconnect(boolean force) {
        ConnectionInfo c = services.currentConnection();
        if (c != null) c.disconnect(force);
    }

    /** nbdkit_parse_size: see {@link Sizes#parse}. */
    public static long parseSize(String text) { return Sizes.parse(text); }
}
