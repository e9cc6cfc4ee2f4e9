package dev.jnbdkit.spi;

import java.util.ServiceLoader;

/**
 * The server services a plugin may call, like nbdkit's {@code nbdkit_*} functions: logging,
 * size parsing, the current connection's export name, TLS state, peer credentials and TLS
 * distinguished names, shutdown and disconnect, and whether stdin/stdout are free to use.
 *
 * <p>Connection-bound calls ({@link #exportName}, {@link #isTls}, {@link #disconnect},
 * {@link #peerCredentials}, {@link #peerSecurityContext}, {@link #peerTlsDn},
 * {@link #peerTlsIssuerDn}) answer for the connection whose request the calling thread is
 * serving; the strict ones throw {@link PluginException} with nbdkit's message
 * ({@code no connection in this thread}) when called outside of one.
 */
public final class Nbdkit {
    /** What the running server provides; installed once at start-up. */
    public interface Services {
        /** Ask the server to shut down asynchronously. */
        void shutdown();

        /** The connection the current thread serves, or null outside of one. */
        ConnectionInfo currentConnection();
    }

    /** The peer's process credentials, from the kernel ({@code SO_PEERCRED}). */
    public record PeerCredentials(long pid, long uid, long gid) {}

    /** A connection as a plugin may see it. */
    public interface ConnectionInfo {
        String exportName();

        boolean isTls();

        /** Drop the connection: at once if {@code force}, else after in-flight replies. */
        void disconnect(boolean force);

        /**
         * The client process's credentials: only when it connected over a Unix domain socket
         * (nbdkit_peer_pid(3)); otherwise a {@link PluginException} saying why.
         */
        default PeerCredentials peerCredentials() {
            throw new PluginException(Errno.ENOTSUP, "peer credentials are not available on this connection");
        }

        /** The client's security label (SO_PEERSEC), or a {@link PluginException} saying why not. */
        default String peerSecurityContext() {
            throw new PluginException(Errno.ENOTSUP, "the peer security context is not available on this connection");
        }

        /**
         * The client's socket address (nbdkit_peer_name): an {@link java.net.InetSocketAddress}
         * for TCP, a {@link java.net.UnixDomainSocketAddress} for a Unix socket, or null when the
         * server cannot tell (-s over pipes).
         */
        default java.net.SocketAddress peerAddress() { return null; }

        /** RFC 4514 DN of the client's verified X.509 certificate; "" when there is none. */
        default String peerTlsDn() { return ""; }

        /** RFC 4514 DN of the issuer of the client's verified X.509 certificate; "" when there is none. */
        default String peerTlsIssuerDn() { return ""; }
    }

    private static volatile Services services = new Services() {
        @Override public void shutdown() {}
        @Override public ConnectionInfo currentConnection() { return null; }
    };

    /** -s: stdin and stdout are the client's connection. */
    private static volatile boolean stdioIsConnection;
    /** Configuration is over: stdin and stdout may have been pointed at /dev/null. */
    private static volatile boolean configured;

    private Nbdkit() {}

    public static void install(Services s) { services = s; }

    /** The server's log and system calls; null until installed or first needed. */
    private static volatile Host host;

    /** The server installs its {@link Host} before any plugin or filter code runs. */
    public static void installHost(Host h) { host = java.util.Objects.requireNonNull(h); }

    /**
     * The installed host; when none was (the SPI called outside of a server start), the one the
     * class path names as a service, else {@link StandaloneHost}.
     */
    static Host host() {
        Host h = host;
        if (h != null) return h;
        synchronized (Nbdkit.class) {
            if (host == null) {
                host = ServiceLoader.load(Host.class, Nbdkit.class.getClassLoader()).findFirst()
                        .orElseGet(StandaloneHost::new);
            }
            return host;
        }
    }

    public static void debug(String message) { host().debug(message); }

    public static void error(String message) { host().error(message); }

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

    /** The current connection; outside of one, nbdkit's error. */
    public static ConnectionInfo connection() {
        ConnectionInfo c = services.currentConnection();
        if (c == null) throw new PluginException(Errno.EINVAL, "no connection in this thread");
        return c;
    }

    /** nbdkit_peer_pid, _uid, _gid: see {@link ConnectionInfo#peerCredentials}. */
    public static PeerCredentials peerCredentials() { return connection().peerCredentials(); }

    /** nbdkit_peer_security_context. */
    public static String peerSecurityContext() { return connection().peerSecurityContext(); }

    /** nbdkit_peer_tls_dn: "" when the client presented no verified certificate. */
    public static String peerTlsDn() { return connection().peerTlsDn(); }

    /** nbdkit_peer_tls_issuer_dn: "" when the client presented no verified certificate. */
    public static String peerTlsIssuerDn() { return connection().peerTlsIssuerDn(); }

    /** nbdkit_parse_size: see {@link Sizes#parse}. */
    public static long parseSize(String text) { return Sizes.parse(text); }

    /**
     * nbdkit_stdio_safe: true when a plugin may read stdin and write stdout while it is
     * configured (not with {@code -s}, where they are the connection; not after configuration).
     */
    public static boolean stdioSafe() { return !stdioIsConnection && !configured; }

    /** The server serves its client on stdin/stdout ({@code -s}); called before any plugin code. */
    public static void stdioIsTheConnection() { stdioIsConnection = true; }

    /** Configuration is complete (called by the server after the plugin's get_ready). */
    public static void configurationDone() { configured = true; }
}
