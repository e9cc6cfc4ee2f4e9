package dev.jnbdkit.plugins.data;

import dev.jnbdkit.plugins.memory.Store;
import dev.jnbdkit.spi.Extent;
import dev.jnbdkit.spi.ExtentSink;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The data plugin's disk: a memory plugin {@link Store}, plus the two things nbdkit's sparse
 * array does that the memory store does not, so that extents match nbdkit's: zeroing a range
 * frees every chunk it leaves all zero (not only the chunks it covers whole), and the part of an
 * allocated chunk a block-status request covers is reported as {@code zero} (allocated, reads
 * as zeros) when it holds only zeros.
 *
 * <p>Freeing a chunk after looking at it must not lose a write to another part of the chunk
 * racing with it, so writes share a lock that the free check takes alone.
 */
final class DataStore {
    private static final long CHUNK = Store.SPARSE_CHUNK;
    private static final MemorySegment ZEROS = Arena.global().allocate(CHUNK);

    private final Store store;
    private final long size;
    private final boolean sparse;
    private final ReadWriteLock lock = new ReentrantReadWriteLock();

    DataStore(Store store, long size, boolean sparse) {
        this.store = store;
        this.size = size;
        this.sparse = sparse;
    }

    long size() { return size; }

    void read(MemorySegment dst, long offset) { store.read(dst, offset); }

    MemorySegment[] views(long offset, long length) { return store.views(offset, length); }

    void write(MemorySegment src, long offset) {
        lock.readLock().lock();
        try {
            store.write(src, offset);
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Zero the range; chunks at its edges left all zero are freed, as nbdkit's sparse array does. */
    void zero(long offset, long length) {
        if (length == 0) return;
        store.zero(offset, length);
        if (!sparse) return;
        lock.writeLock().lock();
        try {
            long first = offset - offset % CHUNK;
            long last = (offset + length - 1) - (offset + length - 1) % CHUNK;
            freeIfZero(first);
            if (last != first) freeIfZero(last);
        } finally {
            lock.writeLock().unlock();
        }
    }

    private void freeIfZero(long chunkStart) {
        long n = Math.min(CHUNK, size - chunkStart);
        if (!allocated(chunkStart, n)) return;
        if (isZero(chunkStart, n)) store.zero(chunkStart, n);
    }

    private boolean allocated(long offset, long n) {
        boolean[] data = {false};
        store.extents(offset, n, true, (o, l, type) -> { if ((type & Extent.HOLE) == 0) data[0] = true; });
        return data[0];
    }

    private boolean isZero(long offset, long n) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(n);
            store.read(buf, offset);
            return MemorySegment.mismatch(buf, 0, n, ZEROS, 0, n) < 0;
        }
    }

    /**
     * The store's extents, with the allocated parts of the range that read as zeros (chunk by
     * chunk) reported as {@code zero} (sparse allocator; with malloc every byte is data, as
     * nbdkit's malloc allocator says).
     */
    void extents(long offset, long length, boolean reqOne, ExtentSink sink) {
        if (!sparse) {
            store.extents(offset, length, reqOne, sink);
            return;
        }
        Merger m = new Merger(sink);
        store.extents(offset, length, false, (o, l, type) -> {
            if (type != Extent.DATA) {
                m.add(o, l, type);
                return;
            }
            long pos = o;
            long end = o + l;
            while (pos < end) {
                // As nbdkit's sparse array: the chunk from pos to its end (even past the end of
                // the request) is "zero" if it reads as zeros, whatever precedes pos in it.
                long chunkStart = pos - pos % CHUNK;
                long chunkEnd = Math.min(end, chunkStart + CHUNK);
                long tail = Math.min(chunkStart + CHUNK, size) - pos;
                m.add(pos, chunkEnd - pos, isZero(pos, tail) ? Extent.ZERO : Extent.DATA);
                pos = chunkEnd;
            }
        });
        m.flush(); // with REQ_ONE the server sends only the first
    }

    /** Joins neighbouring extents of one type before they go to the sink. */
    private static final class Merger {
        private final ExtentSink sink;
        private long start = -1, length;
        private int type;

        Merger(ExtentSink sink) { this.sink = sink; }

        void add(long o, long l, int t) {
            if (start >= 0 && t == type && start + length == o) {
                length += l;
                return;
            }
            flush();
            start = o;
            length = l;
            type = t;
        }

        void flush() {
            if (start >= 0) sink.add(start, length, type);
            start = -1;
        }
    }
}
