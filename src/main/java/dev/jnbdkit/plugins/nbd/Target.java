package dev.jnbdkit.plugins.nbd;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;

/** Where the remote server listens. */
sealed interface Target {
    /** Opens a new plaintext connection. */
    Wire connect() throws IOException;

    /** How the server is named in messages. */
    String describe();

    /** The host name a certificate must carry, or null. */
    default String hostname() { return null; }

    record Unix(Path socket) implements Target {
        @Override
        public Wire connect() throws IOException {
            SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
            try {
                ch.connect(UnixDomainSocketAddress.of(socket));
            } catch (IOException e) {
                ch.close();
                throw new IOException(socket + ": " + reason(e), e);
            }
            return new SocketWire(ch);
        }

        @Override public String describe() { return socket.toString(); }
    }

    /** TCP to {@code host}:{@code port}, trying each address the name resolves to. */
    record Tcp(String host, int port) implements Target {
        @Override
        public Wire connect() throws IOException {
            IOException last = null;
            for (InetAddress a : InetAddress.getAllByName(host)) {
                SocketChannel ch = SocketChannel.open();
                try {
                    ch.connect(new InetSocketAddress(a, port));
                    ch.socket().setTcpNoDelay(true);
                    return new SocketWire(ch);
                } catch (IOException e) {
                    ch.close();
                    last = e;
                }
            }
            throw new IOException(describe() + ": " + (last == null ? "no address" : reason(last)), last);
        }

        @Override public String describe() { return (host.contains(":") ? "[" + host + "]" : host) + ":" + port; }

        @Override public String hostname() { return host; }
    }

    private static String reason(IOException e) {
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }
}
