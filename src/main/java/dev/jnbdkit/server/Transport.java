package dev.jnbdkit.server;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;

/** A connected byte stream to one client: a socket, or the stdin/stdout pair of {@code -s}. */
public interface Transport extends Closeable {
    /** Reads some bytes; -1 at end of stream. */
    int read(ByteBuffer dst) throws IOException;

    /** Writes all remaining bytes of every buffer, in order (one gathering write where possible). */
    void writeFully(ByteBuffer... srcs) throws IOException;

    /** Stops reading (the reader sees end of stream) without closing the write side. */
    void shutdownInput();

    /**
     * Ends the connection from another thread: unblocks a reader and also a writer stuck on a
     * client that does not read. The owner still calls {@link #close}.
     */
    default void abort() { shutdownInput(); }

    /** Human-readable peer description for the log. */
    String peer();

    /** Fills {@code dst} completely; false if the stream ended first (at any point). */
    default boolean readFully(ByteBuffer dst) throws IOException {
        while (dst.hasRemaining()) {
            if (read(dst) < 0) return false;
        }
        return true;
    }

    /** Fills every buffer in order (one scattering read where possible); false if the stream ended first. */
    default boolean readFully(ByteBuffer[] dsts) throws IOException {
        for (ByteBuffer d : dsts) {
            if (!readFully(d)) return false;
        }
        return true;
    }

    /** Reads and discards {@code count} bytes; false if the stream ended first. */
    default boolean skip(long count, ByteBuffer scratch) throws IOException {
        while (count > 0) {
            scratch.clear();
            if (count < scratch.capacity()) scratch.limit((int) count);
            int n = read(scratch);
            if (n < 0) return false;
            count -= n;
        }
        return true;
    }
}
