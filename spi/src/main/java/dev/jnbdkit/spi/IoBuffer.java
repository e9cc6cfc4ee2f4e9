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

    /**
     * The {@code length} bytes at {@code offset} of this buffer, sharing its memory and its
     * references (retaining or releasing the slice retains or releases this buffer): how a
     * filter passes part of a request on.
     */
    default IoBuffer slice(long offset, long length) {
        IoBuffer whole = this;
        MemorySegment part = segment().asSlice(offset, length);
        return new IoBuffer() {
            @Override public MemorySegment segment() { return part; }
            @Override public void retain() { whole.retain(); }
            @Override public void release() { whole.release(); }
        };
    }

    /**
     * A buffer of {@code length} zeroed bytes of native memory that the garbage collector frees:
     * for a filter's own reads and writes of the next layer. Reference counting is a no-op.
     */
    static IoBuffer allocate(long length) {
        MemorySegment seg = java.lang.foreign.Arena.ofAuto().allocate(Math.max(1, length)).asSlice(0, length);
        return new IoBuffer() {
            @Override public MemorySegment segment() { return seg; }
            @Override public void retain() {}
            @Override public void release() {}
        };
    }
}
