package dev.jnbdkit.plugins.curl;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/**
 * The byte stream under one {@link Http1Connection}: the TCP socket itself for http://, or TLS
 * over it for https:// ({@link TlsWire}). Blocking, used by one thread at a time; {@link #close}
 * may come from another thread (the timeout's alarm) and must unblock a read or write in progress.
 */
sealed interface Wire extends AutoCloseable permits Wire.Plain, TlsWire {
    /** Reads into {@code dst} from its position: the count, -1 at the end of the stream. */
    int read(ByteBuffer dst) throws IOException;

    /** Writes all of {@code srcs}. */
    void write(ByteBuffer[] srcs) throws IOException;

    boolean isOpen();

    @Override void close() throws IOException;

    /** Plain text: the channel reads and writes the caller's buffers, native memory included, with no copy. */
    record Plain(SocketChannel channel) implements Wire {
        @Override public int read(ByteBuffer dst) throws IOException { return channel.read(dst); }

        @Override
        public void write(ByteBuffer[] srcs) throws IOException {
            long left = 0;
            for (ByteBuffer b : srcs) left += b.remaining();
            while (left > 0) left -= channel.write(srcs);
        }

        @Override public boolean isOpen() { return channel.isOpen(); }

        @Override public void close() throws IOException { channel.close(); }
    }
}
