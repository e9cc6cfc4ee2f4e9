package dev.jnbdkit.plugins.memory;

import dev.jnbdkit.spi.Extent;
import dev.jnbdkit.spi.ExtentSink;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The zstd allocator (nbdkit-memory-plugin(1), "ALLOCATORS"): a sparse array of 32 KiB pages,
 * each kept compressed with zstd at the default level; a page that is all zeros is not kept at
 * all (it reads as zeros and is a hole). Slower than the sparse allocator, and much smaller for
 * compressible data.
 *
 * <h2>Concurrency</h2>
 * A stored page is an immutable compressed array, replaced whole: readers take it from the map
 * and decompress without a lock. Writers (write, zero, trim) of one page serialise on one of
 * {@link #STRIPES} locks (read, modify, recompress, replace), so two writes to different bytes
 * of a page are both kept.
 *
 * <p>There are no zero-copy views: {@link #views} returns a decompressed copy, and the memory
 * plugin offers no write views over this store ({@link #offersWriteViews}).
 */
final class ZstdStore implements Store {
    static final int PAGE_SHIFT = 15;
    static final int PAGE = 1 << PAGE_SHIFT;
    private static final int STRIPES = 64;

    private final long size;
    private final ConcurrentSkipListMap<Long, byte[]> pages = new ConcurrentSkipListMap<>();
    private final ReentrantLock[] locks = new ReentrantLock[STRIPES];
    private final AtomicLong compressedBytes = new AtomicLong();
    private final long bound;

    ZstdStore(long size) {
        if (size < 0) throw new IllegalArgumentException("negative size");
        ZstdLib.load();
        this.size = size;
        this.bound = ZstdLib.compressBound(PAGE);
        for (int i = 0; i < STRIPES; i++) locks[i] = new ReentrantLock();
    }

    @Override public boolean offersWriteViews() { return false; }

    /** The page's bytes, decompressed into {@code into} (PAGE bytes), or zeros. */
    private void load(long page, MemorySegment into) {
        byte[] c = pages.get(page);
        if (c == null) {
            into.fill((byte) 0);
            return;
        }
        long n = ZstdLib.decompress(into, MemorySegment.ofArray(c));
        if (n != PAGE) throw new IllegalStateException("zstd page " + page + " decompressed to " + n + " bytes");
    }

    @Override
    public void read(MemorySegment dst, long offset) {
        long len = dst.byteSize();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(PAGE);
            long done = 0;
            while (done < len) {
                long pos = offset + done;
                long page = pos >>> PAGE_SHIFT;
                int skip = (int) (pos & (PAGE - 1));
                int take = (int) Math.min(PAGE - skip, len - done);
                if (pages.containsKey(page)) {
                    load(page, buf);
                    MemorySegment.copy(buf, skip, dst, done, take);
                } else {
                    dst.asSlice(done, take).fill((byte) 0);
                }
                done += take;
            }
        }
    }

    /** A decompressed copy: the server only reads it. */
    @Override
    public MemorySegment[] views(long offset, long length) {
        MemorySegment copy = Arena.ofAuto().allocate(Math.max(1, length)).asSlice(0, length);
        read(copy, offset);
        return new MemorySegment[] {copy.asReadOnly()};
    }

    @Override
    public MemorySegment[] writableViews(long offset, long length) {
        throw new UnsupportedOperationException("the zstd allocator has no write views");
    }

    @Override
    public void write(MemorySegment src, long offset) {
        update(offset, src.byteSize(), src);
    }

    @Override
    public void zero(long offset, long length) {
        update(offset, length, null);
    }

    /** Writes {@code src} (null: zeros) over {@code [offset, offset+length)}, page by page. */
    private void update(long offset, long length, MemorySegment src) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(PAGE, 8);
            MemorySegment out = a.allocate(bound);
            long done = 0;
            while (done < length) {
                long pos = offset + done;
                long page = pos >>> PAGE_SHIFT;
                int skip = (int) (pos & (PAGE - 1));
                int take = (int) Math.min(PAGE - skip, length - done);
                ReentrantLock lock = locks[(int) (page % STRIPES)];
                lock.lock();
                try {
                    if (src == null && take == PAGE) {
                        drop(page);
                    } else {
                        load(page, buf);
                        if (src == null) buf.asSlice(skip, take).fill((byte) 0);
                        else MemorySegment.copy(src, done, buf, skip, take);
                        store(page, buf, out);
                    }
                } finally {
                    lock.unlock();
                }
                done += take;
            }
        }
    }

    private void store(long page, MemorySegment buf, MemorySegment out) {
        if (allZero(buf)) {
            drop(page);
            return;
        }
        long n = ZstdLib.compress(out, buf);
        byte[] c = out.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE);
        byte[] old = pages.put(page, c);
        compressedBytes.addAndGet(c.length - (old == null ? 0 : old.length));
    }

    private void drop(long page) {
        byte[] old = pages.remove(page);
        if (old != null) compressedBytes.addAndGet(-old.length);
    }

    private static boolean allZero(MemorySegment buf) {
        for (long i = 0; i < PAGE; i += 8) if (buf.get(ValueLayout.JAVA_LONG_UNALIGNED, i) != 0) return false;
        return true;
    }

    @Override
    public void extents(long offset, long length, boolean reqOne, ExtentSink sink) {
        if (offset >= size) return;
        long end = offset + Math.min(length, size - offset);
        long pos = offset;
        while (pos < end) {
            long page = pos >>> PAGE_SHIFT;
            long next;
            int type;
            if (pages.containsKey(page)) {
                // a run of stored pages
                type = Extent.DATA;
                long p = page + 1;
                while ((p << PAGE_SHIFT) < end && pages.containsKey(p)) p++;
                next = Math.min(end, p << PAGE_SHIFT);
            } else {
                type = Extent.HOLE | Extent.ZERO;
                Map.Entry<Long, byte[]> e = pages.ceilingEntry(page);
                next = e == null ? end : Math.min(end, e.getKey() << PAGE_SHIFT);
            }
            sink.add(pos, next - pos, type);
            if (reqOne) return;
            pos = next;
        }
    }

    /** Bytes of compressed pages held. */
    @Override
    public long allocatedBytes() { return compressedBytes.get(); }
}
