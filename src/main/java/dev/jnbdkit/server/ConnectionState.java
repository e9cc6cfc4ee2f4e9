package dev.jnbdkit.server;

import dev.jnbdkit.posix.ProcessCalls;
import dev.jnbdkit.posix.SocketCalls;
import dev.jnbdkit.server.tls.ServerTls;
import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.Nbdkit;
import dev.jnbdkit.spi.PluginException;

/**
 * What a plugin may ask about the connection it serves: nbdkit_export_name, nbdkit_is_tls,
 * nbdkit_disconnect, nbdkit_peer_pid/uid/gid/security_context (from the client's socket, asked
 * of the kernel on first use) and nbdkit_peer_tls_dn/issuer_dn (from the certificate the TLS
 * layer verified).
 */
final class ConnectionState implements Nbdkit.ConnectionInfo {
    private final Runnable forceClose;
    /** The client's transport as accepted (before any TLS), for its socket descriptor. */
    private final Transport plain;
    /** Its descriptor, looked up when a plugin first asks (-2: not yet; -1: the JDK hides it). */
    private volatile int socketFd = -2;
    private volatile String exportName = "";
    private volatile boolean disconnectRequested;
    private volatile boolean tls;
    private volatile ServerTls.PeerCertificate peerCertificate;
    private volatile Nbdkit.PeerCredentials credentials;

    ConnectionState(Runnable forceClose) {
        this(forceClose, null);
    }

    /** {@code plain} is the client's transport as accepted (TLS, if any, comes later). */
    ConnectionState(Runnable forceClose, Transport plain) {
        this.forceClose = forceClose;
        this.plain = plain;
    }

    /** The socket's descriptor, found on first use: most connections never ask. */
    private int socketFd() {
        int fd = socketFd;
        if (fd == -2) {
            socketFd = fd = switch (plain) {
                case ChannelTransport c -> SocketCalls.descriptor(c.channel());
                case FdTransport f -> f.inputFd();
                case null, default -> -1;
            };
        }
        return fd;
    }

    void setExportName(String name) { exportName = name; }

    @Override
    public java.net.SocketAddress peerAddress() {
        if (plain instanceof ChannelTransport c) {
            try {
                return c.channel().getRemoteAddress();
            } catch (java.io.IOException e) {
                return null;
            }
        }
        return null;
    }

    @Override public String exportName() { return exportName; }

    @Override public boolean isTls() { return tls; }

    /** The connection has completed STARTTLS (nbdkit_is_tls is true from now on). */
    void setTls() { tls = true; }

    /** STARTTLS completed on {@code session}: remember the client certificate it verified. */
    void setTls(Transport session) {
        peerCertificate = ServerTls.peerCertificate(session);
        tls = true;
    }

    boolean disconnectRequested() { return disconnectRequested; }

    @Override
    public void disconnect(boolean force) {
        disconnectRequested = true;
        if (force) forceClose.run();
    }

    @Override
    public Nbdkit.PeerCredentials peerCredentials() {
        Nbdkit.PeerCredentials c = credentials;
        if (c != null) return c;
        int fd = socketFd();
        if (fd < 0) throw new PluginException(Errno.ENOTSUP, "peer credentials: the client socket is not available");
        try {
            SocketCalls.PeerCred p = SocketCalls.peerCred(fd);
            unixSocket(fd, "peer credentials");
            // uid_t and gid_t are unsigned: (uid_t)-1 reads as 4294967295, as in C.
            c = new Nbdkit.PeerCredentials(p.pid(), Integer.toUnsignedLong(p.uid()), Integer.toUnsignedLong(p.gid()));
        } catch (ProcessCalls.PosixException e) {
            throw new PluginException(e.errno(), e.getMessage());
        }
        credentials = c;
        return c;
    }

    @Override
    public String peerSecurityContext() {
        int fd = socketFd();
        if (fd < 0) throw new PluginException(Errno.ENOTSUP, "peer security context: the client socket is not available");
        try {
            return SocketCalls.peerSecurityContext(fd);
        } catch (ProcessCalls.PosixException e) {
            throw new PluginException(e.errno(), e.getMessage());
        }
    }

    @Override
    public String peerTlsDn() {
        ServerTls.PeerCertificate p = peerCertificate;
        return p == null ? "" : p.subjectDn();
    }

    @Override
    public String peerTlsIssuerDn() {
        ServerTls.PeerCertificate p = peerCertificate;
        return p == null ? "" : p.issuerDn();
    }

    /** nbdkit-peer_name(3): the credentials are only available over a Unix domain socket. */
    private static void unixSocket(int fd, String what) {
        int family;
        try {
            family = SocketCalls.family(fd);
        } catch (ProcessCalls.PosixException e) {
            throw new PluginException(e.errno(), e.getMessage());
        }
        if (family != SocketCalls.AF_UNIX) {
            throw new PluginException(Errno.ENOTSUP, what + ": only available when the client connects over a Unix domain socket");
        }
    }
}
