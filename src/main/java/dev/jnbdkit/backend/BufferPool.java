package dev.jnbdkit.backend;

import dev.jnbdkit.spi.IoBuffer;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Pooled native buffers for request data, in power-of-two size classes from 4 KiB to 64 MiB.
 * Each connection has its own pool, so memory that held one client's data is never handed to
 * another client (a plugin that leaves part of a read buffer unwritten shows only that
 * client's own earlier data, as in nbdkit).
 * A buffer goes back to its class when its last reference is released; a buffer whose memory a
 * plugin keeps (see {@link IoBuffer#retain}) simply stays out of the pool until then. Each class
 * keeps at most about 32 MiB (and at least two buffers), so the pool stays bounded.
 */
public final class BufferPool {
    private static final int MIN_SHIFT = 12;
    private static final int MAX_SHIFT = 26;
    private static final long CLASS_BUDGET = 32L << 20;

    private static final BufferPool SHARED = new BufferPool();

    private final SizeClass[] classes = new SizeClass[MAX_SHIFT - MIN_SHIFT + 1];
    /**
     * Where a connection's pool sends blocks it cannot keep, and takes blocks from before
     * allocating: a fresh native allocation (mmap, page faults, zero-fill) costs far more than
     * clearing a block another connection used. Null for the shared pool itself.
     */
    private final BufferPool spill;

    public BufferPool() { this(2, null); }

    /**
     * @param minPerClass buffers each size class may keep even when over its byte budget (a
     *                    connection's pool keeps one per worker thread, so large requests in
     *                    parallel do not allocate every time)
     */
    public BufferPool(int minPerClass) { this(minPerClass, SHARED); }

    private BufferPool(int minPerClass, BufferPool spill) {
        this.spill = spill;
        for (int i = 0; i < classes.length; i++) {
            long size = 1L << (MIN_SHIFT + i);
            classes[i] = new SizeClass(size, (int) Math.max(minPerClass, CLASS_BUDGET / size));
        }
    }

    public static BufferPool shared() { return SHARED; }

    /** A buffer of exactly {@code length} bytes (contents undefined) with one reference. */
    public IoBuffer allocate(long length) {
        if (length < 0 || length > (1L << MAX_SHIFT)) {
            throw new IllegalArgumentException("buffer length out of range: " + length);
        }
        int shift = Math.max(MIN_SHIFT, 64 - Long.numberOfLeadingZeros(Math.max(1, length) - 1));
        SizeClass c = classes[shift - MIN_SHIFT];
        MemorySegment block = c.take();
        if (block == null && spill != null) {
            block = spill.classes[shift - MIN_SHIFT].take();
            // Another connection's data: never let it reach this client through a buffer a
            // plugin leaves partly unwritten.
            if (block != null) block.fill((byte) 0);
        }
        if (block == null) {
            try {
                block = Arena.ofAuto().allocate(c.size, 4096);
            } catch (OutOfMemoryError e) {
                throw new dev.jnbdkit.spi.PluginException(dev.jnbdkit.spi.Errno.ENOMEM, "out of memory for a " + length + "-byte buffer");
            }
        }
        return new Pooled(c, block, block.asSlice(0, length));
    }

    /** A zero-filled buffer of {@code length} bytes with one reference. */
    public IoBuffer allocateZeroed(long length) {
        IoBuffer b = allocate(length);
        b.segment().fill((byte) 0);
        return b;
    }

    /** The connection has ended: its free blocks go to the shared pool for other connections. */
    public void close() {
        if (spill == null) return;
        for (int i = 0; i < classes.length; i++) {
            MemorySegment block;
            while ((block = classes[i].take()) != null) spill.classes[i].give(block);
        }
    }

    private final class SizeClass {
        final long size;
        final int limit;
        final int index;
        final ConcurrentLinkedDeque<MemorySegment> free = new ConcurrentLinkedDeque<>();
        final AtomicInteger pooled = new AtomicInteger();

        SizeClass(long size, int limit) {
            this.size = size;
            this.limit = limit;
            this.index = Long.numberOfTrailingZeros(size) - MIN_SHIFT;
        }

        MemorySegment take() {
            MemorySegment block = free.pollFirst();
            if (block != null) pooled.decrementAndGet();
            return block;
        }

        void give(MemorySegment block) {
            if (pooled.incrementAndGet() <= limit) {
                free.offerFirst(block);
            } else {
                pooled.decrementAndGet();
                // Over budget: the shared pool may still want it; else the garbage collector frees it.
                if (spill != null) spill.classes[index].give(block);
            }
        }
    }

    private static final class Pooled implements IoBuffer {
        private final SizeClass owner;
        private final MemorySegment block;
        private final MemorySegment view;
        private final AtomicInteger refs = new AtomicInteger(1);

        Pooled(SizeClass owner, MemorySegment block, MemorySegment view) {
            this.owner = owner;
            this.block = block;
            this.view = view;
        }

        @Override public MemorySegment segment() { return view; }

        @Override
        public void retain() {
            // Never resurrect a released buffer: it may already be back in the pool.
            int n;
            do {
                n = refs.get();
                if (n <= 0) throw new IllegalStateException("buffer already released");
            } while (!refs.compareAndSet(n, n + 1));
        }

        @Override
        public void release() {
            int n;
            do {
                n = refs.get();
                if (n <= 0) throw new IllegalStateException("buffer released too often");
            } while (!refs.compareAndSet(n, n - 1));
            if (n == 1) owner.give(block);
        }
    }
}
