package dev.jnbdkit.filters.common;

import dev.jnbdkit.spi.IoBuffer;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Block-sized scratch memory for the filters' read-modify-writes and bounce reads, kept per thread
 * so that a 4K write into a 64K block does not allocate (and zero, and later free) 64K of native
 * memory each time. Contents are undefined: callers fill what they use. A buffer is reused only
 * once every reference to it is released, so a plugin that {@link IoBuffer#retain retains} one
 * keeps it to itself (the thread takes a new one).
 */
public final class Scratch {
    /** Larger requests get memory of their own. */
    private static final long MAX_KEPT = 4L << 20;
    private static final long MIN_KEPT = 64 * 1024;

    private static final ThreadLocal<Kept> KEPT = new ThreadLocal<>();

    private Scratch() {}

    /** {@code length} bytes; {@link IoBuffer#release} it when done. */
    public static IoBuffer take(long length) {
        if (length > MAX_KEPT) return IoBuffer.allocate(length);
        Kept k = KEPT.get();
        if (k == null || k.memory.byteSize() < length || !k.claim()) {
            k = new Kept(Arena.ofAuto().allocate(Math.max(MIN_KEPT, Long.highestOneBit(Math.max(1, length - 1)) << 1)));
            k.claim();
            KEPT.set(k);
        }
        return k.slice(0, length);
    }

    /** One thread's memory, with a real reference count (the server's pooled buffers work the same way). */
    private static final class Kept implements IoBuffer {
        final MemorySegment memory;
        private final AtomicInteger refs = new AtomicInteger();

        Kept(MemorySegment memory) { this.memory = memory; }

        boolean claim() { return refs.compareAndSet(0, 1); }

        @Override public MemorySegment segment() { return memory; }

        @Override public void retain() { refs.incrementAndGet(); }

        @Override public void release() { refs.decrementAndGet(); }
    }
}
