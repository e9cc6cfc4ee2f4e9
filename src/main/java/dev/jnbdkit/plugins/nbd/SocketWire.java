package dev.jnbdkit.plugins.nbd;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/** A plaintext connection: the socket channel itself, reading straight into the caller's memory. */
record SocketWire(SocketChannel channel) implements Wire {
    @Override public int read(ByteBuffer dst) throws IOException { return channel.read(dst); }

    @Override
    public void write(ByteBuffer... srcs) throws IOException {
        long left = 0;
        for (ByteBuffer b : srcs) left += b.remaining();
        while (left > 0) left -= channel.write(srcs);
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing: nothing more to do
        }
    }
}
