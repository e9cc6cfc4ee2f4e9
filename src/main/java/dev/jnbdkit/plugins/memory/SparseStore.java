package dev.jnbdkit.plugins.memory;

import dev.jnbdkit.spi.Extent;
import dev.jnbdkit.spi.ExtentSink;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The sparse allocator: the disk is cut into 32 KiB chunks of native memory, allocated on first
 * write and found through a two-level table (a directory of 4096-entry pages, each page covering
 * 128 MiB). Unallocated chunks read as zeros and are reported as holes.
 *
 * <h2>Concurrency</h2>
 * Every request runs without locks:
 * <ul>
 *   <li>Reads load the chunk reference with acquire semantics and copy; an unallocated chunk is
 *       copied from a shared zero chunk. No allocation, no lock, no write to shared memory.</li>
 *   <li>A write that finds its chunk missing allocates a zeroed one and installs it with a
 *       compare-and-set; if another thread won the race the loser uses the winner's chunk, so two
 *       writes to different bytes of a fresh chunk are both kept.</li>
 *   <li>Writes to different bytes of the same chunk never interfere (they copy into disjoint
 *       memory). Overlapping concurrent writes leave, for each byte, one of the written values:
 *       NBD makes no stronger promise for overlapping requests in flight.</li>
 *   <li>Trim and zero free a chunk only when the request covers all of it (so any write racing
 *       with the free overlaps the trim, and either order is a valid outcome); partly covered
 *       chunks are zeroed in place.</li>
 *   <li>Freed chunks are returned to the operating system by the garbage collector once no
 *       in-flight request can still reference them ({@link NativeAlloc}): a reader racing with a
 *       trim sees old data or zeros, never freed memory.</li>
 * </ul>
 */
final class SparseStore implements Store {
    static final int CHUNK_SHIFT = 15;
    static final long CHUNK = 1L << CHUNK_SHIFT;
    private static final long CHUNK_MASK = CHUNK - 1;
    private static final int PAGE_SHIFT = 12;
    private static final int PAGE_SIZE = 1 << PAGE_SHIFT;
    private static final int PAGE_MASK = PAGE_SIZE - 1;
    /** Bytes covered by one page of the table. */
    private static final int PAGE_BYTES_SHIFT = PAGE_SHIFT + CHUNK_SHIFT;
    /** Directories up to this many pages (16 TiB of disk) are a flat array; beyond, a skip list. */
    private static final long MAX_ARRAY_PAGES = 1L << 17;
    /** Ask the GC to return dropped chunks to the OS after this many bytes were trimmed. */
    private static final long GC_AFTER_DROPPED = 512L << 20;

    private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(MemorySegment[].class);
    private static final VarHandle PAGE = MethodHandles.arrayElementVarHandle(MemorySegment[][].class);
    /**
     * One chunk of zeros, read in place of a chunk never written. In a holder: the first native
     * allocation initialises the JDK's FFM support (it spins method-handle classes), which a
     * server that only answers a handshake need not pay for.
     */
    private static final class Zeros {
        static final MemorySegment CHUNK_OF_ZEROS = Arena.global().allocate(CHUNK, 64);
    }

    private final long size;
    private final long lastPage;
    /** Flat directory, or null when {@link #bigDir} is used. */
    private final MemorySegment[][] dir;
    private final ConcurrentSkipListMap<Long, MemorySegment[]> bigDir;
    private final AtomicLong chunks = new AtomicLong();
    private final AtomicLong droppedSinceGc = new AtomicLong();

    SparseStore(long size) {
        if (size < 0) throw new IllegalArgumentException("negative size");
        this.size = size;
        long pages = size == 0 ? 0 : ((size - 1) >>> PAGE_BYTES_SHIFT) + 1;
        this.lastPage = pages - 1;
        if (pages <= MAX_ARRAY_PAGES) {
            dir = new MemorySegment[(int) pages][];
            bigDir = null;
        } else {
            dir = null;
            bigDir = new ConcurrentSkipListMap<>();
        }
    }

    // ---- the table -------------------------------------------------------------------------

    private MemorySegment[] page(long p) {
        if (dir != null) return (MemorySegment[]) PAGE.getAcquire(dir, (int) p);
        return bigDir.get(p);
    }

    private MemorySegment[] pageOrCreate(long p) {
        MemorySegment[] t = page(p);
        if (t != null) return t;
        if (dir != null) {
            MemorySegment[] fresh = new MemorySegment[PAGE_SIZE];
            MemorySegment[] won = (MemorySegment[]) PAGE.compareAndExchange(dir, (int) p, null, fresh);
            return won == null ? fresh : won;
        }
        return bigDir.computeIfAbsent(p, k -> new MemorySegment[PAGE_SIZE]);
    }

    /** The first existing page in {@code [p, limit]} (limit clipped to the last page), or -1. */
    private long nextPage(long p, long limit) {
        long last = Math.min(limit, lastPage);
        if (p > last) return -1;
        if (dir != null) {
            for (long i = p; i <= last; i++) {
                if ((MemorySegment[]) PAGE.getAcquire(dir, (int) i) != null) return i;
            }
            return -1;
        }
        Map.Entry<Long, MemorySegment[]> e = bigDir.ceilingEntry(p);
        return e == null || e.getKey() > last ? -1 : e.getKey();
    }

    /** Disk offset where page {@code p} starts, saturating at Long.MAX_VALUE. */
    private static long pageStart(long p) {
        return p >= (1L << (63 - PAGE_BYTES_SHIFT)) ? Long.MAX_VALUE : p << PAGE_BYTES_SHIFT;
    }

    private MemorySegment chunkOrCreate(long ci) {
        MemorySegment[] t = pageOrCreate(ci >>> PAGE_SHIFT);
        int slot = (int) (ci & PAGE_MASK);
        MemorySegment c = (MemorySegment) SLOT.getAcquire(t, slot);
        if (c != null) return c;
        MemorySegment fresh = NativeAlloc.allocateZeroed(CHUNK);
        MemorySegment won = (MemorySegment) SLOT.compareAndExchange(t, slot, null, fresh);
        if (won != null) return won; // lost the race: the fresh chunk is left to the GC
        chunks.incrementAndGet();
        return fresh;
    }

    // ---- requests --------------------------------------------------------------------------

    @Override
    public void read(MemorySegment dst, long offset) {
        long len = dst.byteSize();
        long pos = 0;
        while (pos < len) {
            long off = offset + pos;
            long ci = off >>> CHUNK_SHIFT;
            long in = off & CHUNK_MASK;
            long n = Math.min(CHUNK - in, len - pos);
            MemorySegment[] t = page(ci >>> PAGE_SHIFT);
            MemorySegment c = t == null ? null : (MemorySegment) SLOT.getAcquire(t, (int) (ci & PAGE_MASK));
            if (c == null) MemorySegment.copy(Zeros.CHUNK_OF_ZEROS, 0, dst, pos, n);
            else MemorySegment.copy(c, in, dst, pos, n);
            pos += n;
        }
    }

    /**
     * One view per chunk the range touches: the chunk itself, or the shared zeros for a hole. A
     * chunk a later trim drops stays valid (the garbage collector frees it), showing the data
     * the read saw.
     */
    @Override
    public MemorySegment[] views(long offset, long length) { return slices(offset, length, false); }

    /**
     * One writable view per chunk the range touches, allocating missing chunks as a write does.
     * Data read into them is stored as it arrives; a chunk a racing trim drops meanwhile takes
     * its part of the data with it (as if the trim came after the write).
     */
    @Override
    public MemorySegment[] writableViews(long offset, long length) { return slices(offset, length, true); }

    /** The range cut at chunk boundaries: writable chunks (created where missing), or read-only ones. */
    private MemorySegment[] slices(long offset, long length, boolean writable) {
        int count = length == 0 ? 0 : (int) (((offset + length - 1) >>> CHUNK_SHIFT) - (offset >>> CHUNK_SHIFT) + 1);
        MemorySegment[] out = new MemorySegment[count];
        long pos = 0;
        for (int i = 0; i < count; i++) {
            long off = offset + pos;
            long ci = off >>> CHUNK_SHIFT;
            long in = off & CHUNK_MASK;
            long n = Math.min(CHUNK - in, length - pos);
            if (writable) {
                out[i] = chunkOrCreate(ci).asSlice(in, n);
            } else {
                MemorySegment[] t = page(ci >>> PAGE_SHIFT);
                MemorySegment c = t == null ? null : (MemorySegment) SLOT.getAcquire(t, (int) (ci & PAGE_MASK));
                out[i] = (c == null ? Zeros.CHUNK_OF_ZEROS : c).asSlice(in, n).asReadOnly();
            }
            pos += n;
        }
        return out;
    }

    @Override
    public void write(MemorySegment src, long offset) {
        long len = src.byteSize();
        long pos = 0;
        while (pos < len) {
            long off = offset + pos;
            long ci = off >>> CHUNK_SHIFT;
            long in = off & CHUNK_MASK;
            long n = Math.min(CHUNK - in, len - pos);
            MemorySegment c = chunkOrCreate(ci);
            MemorySegment.copy(src, pos, c, in, n);
            pos += n;
        }
    }

    @Override
    public void zero(long offset, long length) {
        long end = offset + length;
        long pos = offset;
        long dropped = 0;
        while (pos < end) {
            long ci = pos >>> CHUNK_SHIFT;
            long p = ci >>> PAGE_SHIFT;
            MemorySegment[] t = page(p);
            if (t == null) {
                long next = nextPage(p + 1, (end - 1) >>> PAGE_BYTES_SHIFT);
                if (next < 0) break;
                pos = Math.max(pos, pageStart(next));
                continue;
            }
            long in = pos & CHUNK_MASK;
            long n = Math.min(CHUNK - in, end - pos);
            int slot = (int) (ci & PAGE_MASK);
            if (in == 0 && (n == CHUNK || pos + n == size)) {
                if ((MemorySegment) SLOT.getAndSetRelease(t, slot, (MemorySegment) null) != null) {
                    chunks.decrementAndGet();
                    dropped += CHUNK;
                }
            } else {
                MemorySegment c = (MemorySegment) SLOT.getAcquire(t, slot);
                if (c != null) MemorySegment.copy(Zeros.CHUNK_OF_ZEROS, 0, c, in, n);
            }
            pos += n;
        }
        if (dropped > 0 && droppedSinceGc.addAndGet(dropped) >= GC_AFTER_DROPPED) {
            droppedSinceGc.set(0);
            // Dropped chunks are freed by cleaners after a GC; the heap may be too quiet to have
            // one soon, so ask for it (off the request's thread).
            Thread.ofVirtual().start(System::gc);
        }
    }

    @Override
    public void extents(long offset, long length, boolean reqOne, ExtentSink sink) {
        if (offset >= size) return;
        long end = offset + Math.min(length, size - offset);
        long pos = offset;
        int curType = -1;
        long curStart = offset;
        while (pos < end) {
            long ci = pos >>> CHUNK_SHIFT;
            long p = ci >>> PAGE_SHIFT;
            MemorySegment[] t = page(p);
            int type;
            long next;
            if (t == null) {
                type = Extent.HOLE | Extent.ZERO;
                long np = nextPage(p + 1, (end - 1) >>> PAGE_BYTES_SHIFT);
                next = np < 0 ? end : Math.min(end, pageStart(np));
            } else {
                type = (MemorySegment) SLOT.getAcquire(t, (int) (ci & PAGE_MASK)) == null ? Extent.HOLE | Extent.ZERO : Extent.DATA;
                long chunkEnd = (ci + 1) << CHUNK_SHIFT;
                next = chunkEnd <= 0 ? end : Math.min(end, chunkEnd);
            }
            if (type != curType) {
                if (curType != -1) {
                    sink.add(curStart, pos - curStart, curType);
                    if (reqOne) return;
                }
                curType = type;
                curStart = pos;
            }
            pos = next;
        }
        if (curType != -1) sink.add(curStart, pos - curStart, curType);
    }

    @Override
    public long allocatedBytes() { return chunks.get() * CHUNK; }
}
