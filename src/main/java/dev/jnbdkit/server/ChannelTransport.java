package dev.jnbdkit.server;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/** A TCP or Unix-domain socket. */
final class ChannelTransport implements Transport {
    private final SocketChannel channel;
    private final String peer;

    ChannelTransport(SocketChannel channel) {
        this.channel = channel;
        String p;
        try {
            var addr = channel.getRemoteAddress();
            p = addr == null || addr.toString().isEmpty() ? "unix socket" : addr.toString();
        } catch (IOException e) {
            p = "unknown peer";
        }
        this.peer = p;
    }

    /** The socket, for what the JDK does not expose (peer credentials: see ConnectionState). */
    SocketChannel channel() { return channel; }

    @Override public int read(ByteBuffer dst) throws IOException { return channel.read(dst); }

    @Override
    public boolean readFully(ByteBuffer[] dsts) throws IOException {
        long total = 0;
        for (ByteBuffer b : dsts) total += b.remaining();
        while (total > 0) {
            long n = channel.read(dsts);
            if (n < 0) return false;
            total -= n;
        }
        return true;
    }

    @Override
    public void writeFully(ByteBuffer... srcs) throws IOException {
        long total = 0;
        for (ByteBuffer b : srcs) total += b.remaining();
        while (total > 0) total -= channel.write(srcs);
    }

    @Override
    public void shutdownInput() {
        try {
            channel.shutdownInput();
        } catch (IOException ignored) {
            // already closed: the reader will see the end anyway
        }
    }

    @Override
    public void abort() {
        shutdownInput();
        try {
            channel.shutdownOutput(); // wakes a thread blocked in write
        } catch (IOException ignored) {
            // already closed
        }
    }

    @Override public String peer() { return peer; }

    @Override public void close() throws IOException { channel.close(); }
}
