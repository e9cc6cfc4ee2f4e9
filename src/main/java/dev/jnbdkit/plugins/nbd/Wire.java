package dev.jnbdkit.plugins.nbd;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * The byte stream to the remote server: a plain socket, or TLS over one. One thread reads (the
 * handshake, then the connection's reader) while requests are written under the connection's
 * write lock.
 */
interface Wire extends AutoCloseable {
    /** Reads some bytes into {@code dst}; -1 at end of stream. */
    int read(ByteBuffer dst) throws IOException;

    /** Writes every remaining byte of each buffer, in order. */
    void write(ByteBuffer... srcs) throws IOException;

    /** Stops reading and writing at once (wakes a blocked reader); idempotent. */
    @Override void close();

    /** Fills {@code dst} completely, or throws EOFException if the stream ends first. */
    default void readFully(ByteBuffer dst) throws IOException {
        while (dst.hasRemaining()) {
            if (read(dst) < 0) throw new EOFException("the NBD server closed the connection");
        }
    }

    /** Exactly {@code n} bytes, ready to read. */
    default ByteBuffer readFully(int n) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(n);
        readFully(b);
        return b.flip();
    }
}
