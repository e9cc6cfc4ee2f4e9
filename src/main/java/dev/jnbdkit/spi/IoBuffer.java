package dev.jnbdkit.spi;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;

/**
 * The native memory of one request's data: what {@link Handle#pread} fills and
 * {@link Handle#pwrite} reads. The server allocates it once per request (pooled) and sends the
 * same memory to the socket, so plugins read and write it in place.
 *
 * <p>Buffers are reference counted. The server holds one reference for the life of the request.
 * A plugin that lets anything outlive the callback see this memory (a Python view kept by a
 * script, say) must {@link #retain} it first and {@link #release} it when that is gone; the memory
 * is not reused for another request until every reference is released.
 */
public interface IoBuffer {
    /** The request's data; exactly the request's length. */
    MemorySegment segment();

    /** Number of bytes. */
    default long length() { return segment().byteSize(); }

    /** A ByteBuffer view of {@link #segment()} (position 0, limit = length). */
    default ByteBuffer byteBuffer() { return segment().asByteBuffer(); }

    /** Take one more reference. */
    void retain();

    /** Drop one reference; the memory may be reused once none are left. */
    void release();
}
