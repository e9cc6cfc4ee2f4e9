package dev.jnbdkit.server;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * The client's side of a connection, read ahead: each read from the transport takes as much as
 * has arrived (up to {@link #CAPACITY}), so the headers of pipelined requests, or a header and
 * the start of its payload, come in with one system call instead of one each. Not thread-safe:
 * used only under the connection's read lock.
 */
final class RequestReader {
    static final int CAPACITY = 64 * 1024;

    private final Transport t;
    /** Read mode: position..limit is what has arrived and is not yet consumed. */
    private final ByteBuffer ahead = ByteBuffer.allocateDirect(CAPACITY).flip();

    RequestReader(Transport t) { this.t = t; }

    /**
     * The next {@code n} bytes (n ≤ {@link #CAPACITY}) as a buffer valid until the next call;
     * null if the stream ended first.
     */
    ByteBuffer next(int n) throws IOException {
        if (ahead.remaining() < n) {
            ahead.compact();
            try {
                while (ahead.position() < n) {
                    if (t.read(ahead) < 0) return null;
                }
            } finally {
                ahead.flip();
            }
        }
        ByteBuffer b = ahead.slice(ahead.position(), n);
        ahead.position(ahead.position() + n);
        return b;
    }

    /** Fills every buffer in order: from what was read ahead, then from the transport. */
    boolean readFully(ByteBuffer... dsts) throws IOException {
        for (ByteBuffer d : dsts) {
            if (!ahead.hasRemaining()) break;
            int n = Math.min(ahead.remaining(), d.remaining());
            d.put(ahead.slice(ahead.position(), n));
            ahead.position(ahead.position() + n);
        }
        return dsts.length == 1 ? t.readFully(dsts[0]) : t.readFully(dsts);
    }

    /** Reads and discards {@code count} bytes; false if the stream ended first. */
    boolean skip(long count, ByteBuffer scratch) throws IOException {
        int n = (int) Math.min(ahead.remaining(), count);
        ahead.position(ahead.position() + n);
        return t.skip(count - n, scratch);
    }
}
