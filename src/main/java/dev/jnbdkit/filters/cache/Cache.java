package dev.jnbdkit.filters.cache;

import dev.jnbdkit.filters.common.BlockChange;
import dev.jnbdkit.filters.common.BlockLocks;
import dev.jnbdkit.filters.common.BlockStates;
import dev.jnbdkit.filters.common.ReadPolicy;
import dev.jnbdkit.filters.common.Scratch;
import dev.jnbdkit.filters.common.TempStore;
import dev.jnbdkit.filters.common.WholeBlocks;
import dev.jnbdkit.log.Log;
import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.Extent;
import dev.jnbdkit.spi.ExtentSink;
import dev.jnbdkit.spi.Extents;
import dev.jnbdkit.spi.Flags;
import dev.jnbdkit.spi.IoBuffer;
import dev.jnbdkit.spi.Next;
import dev.jnbdkit.spi.PluginException;
import dev.jnbdkit.spi.ZeroMode;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The block cache every connection shares: a sparse temporary file the size of the plugin, cut
 * into blocks, each {@link #NOT_CACHED}, {@link #CLEAN} (same bytes as the plugin) or
 * {@link #DIRTY} (written here, not yet in the plugin).
 *
 * <p>Writes: in writethrough mode (or with FUA in writeback mode) to the cache and the plugin;
 * otherwise to the cache only, as dirty blocks that a flush writes back (unsafe mode ignores
 * flush). A write into part of a cached block, not written through, goes straight to its place
 * in the file; other partial blocks are read, changed and written as a whole. Reads come from the cache
 * when the block is there, else from the plugin, and with cache-on-read the block is kept.
 *
 * <p>With cache-max-size, once the cached blocks reach the high threshold, each block added
 * first reclaims up to two least recently used blocks, until they are under the low threshold;
 * a dirty block is written back to the plugin before it is dropped (never lost).
 *
 * <p>Concurrency: every change of a block's state or bytes happens with its lock held
 * ({@link BlockLocks}); reclaim runs before a request takes its own locks, so waiting for a
 * victim's lock can never deadlock.
 */
final class Cache implements AutoCloseable {
    static final int NOT_CACHED = 0, CLEAN = 1, DIRTY = 3;

    /** Largest piece moved between the plugin and the cache at once on long ranges. */
    private static final long MOVE_CHUNK = 4L << 20;

    private final TempStore store;
    private final long blockSize;
    private final long size;
    private final CacheMode mode;
    private final ReadPolicy onRead;
    private final BlockStates states;
    private final BlockLocks locks = new BlockLocks();
    private final AtomicLong cached = new AtomicLong();
    /** Null without cache-max-size: nothing is ever reclaimed, so use need not be tracked. */
    private final Lru lru;
    private final long highBytes, lowBytes;
    private boolean reclaiming; // guarded by lru

    Cache(TempStore store, long blockSize, long size, CacheMode mode, ReadPolicy onRead,
          long maxSize, long highPercent, long lowPercent) {
        this.store = store;
        this.blockSize = blockSize;
        this.size = size;
        this.mode = mode;
        this.onRead = onRead;
        this.states = new BlockStates(Math.ceilDiv(size, blockSize));
        this.lru = maxSize < 0 ? null : new Lru();
        this.highBytes = maxSize < 0 ? Long.MAX_VALUE : scale(maxSize, highPercent);
        this.lowBytes = maxSize < 0 ? Long.MAX_VALUE : scale(maxSize, lowPercent);
    }

    private static long scale(long max, long percent) {
        return (long) (max * (double) percent / 100.0);
    }

    long size() { return size; }

    int state(long block) { return states.get(block); }

    /** Bytes the cached blocks hold (what cache-max-size limits). */
    long cachedBytes() { return cached.get() * blockSize; }

    private long blockStart(long b) { return b * blockSize; }

    private long blockEnd(long b) { return Math.min((b + 1) * blockSize, size); }

    private long firstBlock(long offset) { return offset / blockSize; }

    private long endBlock(long end) { return Math.ceilDiv(end, blockSize); }

    // ---------------------------------------------------------------------------------------------
    // Read

    void read(Next next, IoBuffer buf, long offset) {
        long count = buf.length();
        if (count == 0) return;
        long end = offset + count, first = firstBlock(offset), lastEnd = endBlock(end);
        boolean keep = onRead.active();
        if (keep) makeRoom(next, first, lastEnd);
        // Under the blocks' locks: reclaim must not write a block back and drop it between our
        // look at its state and our read of the cache (the reader would get the hole's zeros).
        try (var held = locks.lock(first, lastEnd)) {
            for (long b = first; b < lastEnd; ) {
                int s = states.get(b);
                long runEnd = states.runEnd(b, lastEnd);
                long from = Math.max(offset, blockStart(b)), to = Math.min(end, blockEnd(runEnd - 1));
                if (s != NOT_CACHED) {
                    store.read(buf.segment().asSlice(from - offset, to - from), from);
                    if (lru != null) lru.touch(b, runEnd);
                } else {
                    long first0 = b, runEnd0 = runEnd;
                    WholeBlocks.read(next, buf, offset, from, to, blockStart(b), blockEnd(runEnd - 1),
                            keep ? data -> storeClean(data, first0, runEnd0) : null);
                }
                b = runEnd;
            }
        }
    }

    /** Stores plugin data of blocks [b, runEnd) as clean, for those still not cached under their lock. */
    private void keepClean(Next next, MemorySegment data, long b, long runEnd) {
        makeRoom(next, b, runEnd);
        try (var held = locks.lock(b, runEnd)) {
            storeClean(data, b, runEnd);
        }
    }

    /** {@link #keepClean} with the blocks' locks already held (and room already made). */
    private void storeClean(MemorySegment data, long b, long runEnd) {
        for (long k = b; k < runEnd; k++) {
            if (states.get(k) != NOT_CACHED) continue;
            long at = blockStart(k);
            insert(k);
            store.write(data.asSlice(at - blockStart(b), blockEnd(k) - at), at);
            states.set(k, CLEAN);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Write and zero

    /**
     * One change of a range (a write or a zero), cut into blocks by {@link BlockChange}: what it
     * does to a block it covers only in part (in place, or in a copy of the block) and to whole
     * blocks.
     */
    private abstract class Change extends BlockChange {
        final Next next;
        final boolean through;
        final int fua;

        Change(Next next, int flags) {
            this.next = next;
            this.through = writesThrough(flags);
            this.fua = flags & Flags.FUA;
        }

        /** Changes the disk's [from, from+length) in {@code block}, a copy of the block starting at {@code start}. */
        abstract void patch(MemorySegment block, long start, long from, long length);

        /**
         * Changes the disk's [from, to) straight in the cache file, for a cached block (its lock
         * held) that is not written through; false when only a read-modify-write can.
         */
        abstract boolean inPlace(long from, long to);

        @Override
        protected final void partial(long b, long from, long to) { Cache.this.partial(next, b, from, to, this); }

        /**
         * Counts the whole blocks [first, end) as cached before their data is written: requests
         * making room meanwhile must see them (counted only afterwards, nbdcopy's 16 requests in
         * flight each found the cache empty and none reclaimed).
         */
        final void admit(long first, long end) {
            for (long k = first; k < end; k++) if (states.get(k) == NOT_CACHED) insert(k);
        }

        /** The whole blocks [first, end) now hold the change: clean or dirty, just used. */
        final void settle(long first, long end) {
            states.setRange(first, end, through ? CLEAN : DIRTY);
            if (lru != null) lru.touch(first, end);
        }
    }

    /** The request's data, from disk offset {@code offset}. */
    private final class Write extends Change {
        private final IoBuffer buf;
        private final long offset;

        Write(Next next, IoBuffer buf, long offset, int flags) {
            super(next, flags);
            this.buf = buf;
            this.offset = offset;
        }

        @Override
        void patch(MemorySegment block, long start, long from, long length) {
            MemorySegment.copy(buf.segment(), start + from - offset, block, from, length);
        }

        @Override
        boolean inPlace(long from, long to) {
            // The rest of the block is in the file already: write only what changed (nbdkit
            // rewrites the whole block, a read and a write of the block size for every 4K).
            store.write(buf.segment().asSlice(from - offset, to - from), from);
            return true;
        }

        @Override
        protected void whole(long wholeFrom, long wholeTo, long first, long end) {
            admit(first, end);
            store.write(buf.segment().asSlice(wholeFrom - offset, wholeTo - wholeFrom), wholeFrom);
            if (through) next.pwrite(buf.slice(wholeFrom - offset, wholeTo - wholeFrom), wholeFrom, fua);
            settle(first, end);
        }
    }

    /** Zeros (written through to the plugin as a zero request, or as zeros where it has none). */
    private final class Zero extends Change {
        private final int mayTrim;

        Zero(Next next, int flags) {
            super(next, flags);
            this.mayTrim = flags & Flags.MAY_TRIM;
        }

        @Override
        void patch(MemorySegment block, long start, long from, long length) {
            block.asSlice(from, length).fill((byte) 0);
        }

        @Override
        boolean inPlace(long from, long to) { return false; } // rare: no zeros kept to write from

        @Override
        protected void whole(long wholeFrom, long wholeTo, long first, long end) {
            admit(first, end);
            store.zero(wholeFrom, wholeTo - wholeFrom);
            if (through) zeroPlugin(next, wholeTo - wholeFrom, wholeFrom, mayTrim | fua);
            settle(first, end);
        }
    }

    void write(Next next, IoBuffer buf, long offset, int flags) {
        if (buf.length() == 0) return;
        change(next, buf.length(), offset, new Write(next, buf, offset, flags));
    }

    void zero(Next next, long count, long offset, int flags) {
        // A zero here is never faster than writing: refuse a fast zero (nbdkit does the same).
        if (Flags.has(flags, Flags.FAST_ZERO)) throw new PluginException(Errno.ENOTSUP, null);
        if (count == 0) return;
        change(next, count, offset, new Zero(next, flags));
    }

    private static void zeroPlugin(Next next, long count, long offset, int flags) {
        if (next.canZero() != ZeroMode.NONE) {
            next.zero(count, offset, flags);
            return;
        }
        IoBuffer zeros = IoBuffer.allocate(Math.min(count, MOVE_CHUNK));
        for (long done = 0; done < count; ) {
            long n = Math.min(count - done, zeros.length());
            next.pwrite(n == zeros.length() ? zeros : zeros.slice(0, n), offset + done,
                    done + n == count ? flags & Flags.FUA : 0);
            done += n;
        }
    }

    private boolean writesThrough(int flags) {
        return mode == CacheMode.WRITETHROUGH || (mode == CacheMode.WRITEBACK && Flags.has(flags, Flags.FUA));
    }

    /** A change of [offset, offset+count) with all its blocks locked: partial head and tail in place or by read-modify-write. */
    private void change(Next next, long count, long offset, Change change) {
        long first = firstBlock(offset), last = endBlock(offset + count);
        makeRoom(next, first, last);
        try (var held = locks.lock(first, last)) {
            change.apply(offset, count, blockSize, size);
        }
    }

    /** Changes the bytes [from, to) of the disk in block b (lock held, room made). */
    private void partial(Next next, long b, long from, long to, Change change) {
        boolean cachedHere = states.get(b) != NOT_CACHED;
        if (cachedHere && !change.through && change.inPlace(from, to)) {
            states.set(b, DIRTY);
            if (lru != null) lru.touch(b);
            return;
        }
        long start = blockStart(b);
        IoBuffer block = Scratch.take(blockEnd(b) - start);
        try {
            if (cachedHere) {
                store.read(block.segment(), start);
            } else {
                next.pread(block, start, 0);
                insert(b);
            }
            change.patch(block.segment(), start, from - start, to - from);
            store.write(block.segment(), start);
            if (change.through) next.pwrite(block, start, change.fua);
        } finally {
            block.release();
        }
        states.set(b, change.through ? CLEAN : DIRTY);
        if (lru != null) lru.touch(b);
    }

    // ---------------------------------------------------------------------------------------------
    // Flush, cache, extents

    /** Writes every dirty block back to the plugin, then flushes the plugin (if it can). */
    void flush(Next next) {
        if (mode == CacheMode.UNSAFE) return;
        PluginException first = null;
        for (long b = states.nextNonZero(0); b >= 0; b = states.nextNonZero(b + 1)) {
            if (states.get(b) != DIRTY) continue;
            try (var held = locks.lock(b, b + 1)) {
                if (states.get(b) == DIRTY) writeBack(next, b);
            } catch (PluginException e) {
                Log.error("cache: flush of block " + b + " failed");
                if (first == null) first = e;
            }
        }
        if (next.canFlush()) {
            try {
                next.flush(0);
            } catch (PluginException e) {
                if (first == null) first = e;
            }
        }
        if (first != null) throw first;
    }

    /** Block b (locked, dirty) goes to the plugin and becomes clean. */
    private void writeBack(Next next, long b) {
        IoBuffer block = Scratch.take(blockEnd(b) - blockStart(b));
        try {
            store.read(block.segment(), blockStart(b));
            next.pwrite(block, blockStart(b), 0);
        } finally {
            block.release();
        }
        states.set(b, CLEAN);
    }

    /** A cache (prefetch) request, widened to whole blocks: load what is not cached yet. */
    void prefetch(Next next, long count, long offset) {
        if (count == 0) return;
        long lastEnd = endBlock(offset + count);
        for (long b = firstBlock(offset); b < lastEnd; ) {
            int s = states.get(b);
            long runEnd = states.runEnd(b, lastEnd);
            if (s != NOT_CACHED) {
                store.willNeed(blockStart(b), blockEnd(runEnd - 1) - blockStart(b));
                if (lru != null) lru.touch(b, runEnd);
            } else {
                long perPiece = Math.max(1, MOVE_CHUNK / blockSize);
                for (long k = b; k < runEnd; k += perPiece) {
                    long kEnd = Math.min(runEnd, k + perPiece);
                    IoBuffer data = IoBuffer.allocate(blockEnd(kEnd - 1) - blockStart(k));
                    next.pread(data, blockStart(k), 0);
                    keepClean(next, data.segment(), k, kEnd);
                }
            }
            b = runEnd;
        }
    }

    /**
     * The plugin's extents, except that dirty blocks are data: the plugin does not have their
     * bytes yet, and a client that skips holes (nbdcopy, qemu-img convert) must not skip them.
     */
    void extents(Next next, long count, long offset, int flags, ExtentSink sink) {
        long end = offset + count, lastEnd = endBlock(end);
        boolean one = Flags.has(flags, Flags.REQ_ONE);
        for (long b = firstBlock(offset); b < lastEnd; ) {
            boolean dirty = states.get(b) == DIRTY;
            long runEnd = b + 1;
            while (runEnd < lastEnd && (states.get(runEnd) == DIRTY) == dirty) runEnd++;
            long from = Math.max(offset, blockStart(b)), to = Math.min(end, blockEnd(runEnd - 1));
            if (dirty) sink.add(from, to - from, Extent.DATA);
            else Extents.full(next, to - from, from, flags).copyTo(sink, 0);
            if (one) return;
            b = runEnd;
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Size limit

    /** Block b (locked by the caller) is about to be cached: count it. */
    private void insert(long b) {
        cached.incrementAndGet();
        if (lru != null) lru.touch(b);
    }

    /**
     * Before blocks [first, end) may be added, and with no block lock held (so that a victim's
     * lock can be waited for without any risk of deadlock): while over the thresholds, reclaim up
     * to two least recently used blocks for each block that is not cached yet.
     */
    private void makeRoom(Next next, long first, long end) {
        if (lru == null) return;
        long incoming = 0;
        for (long b = first; b < end; b++) if (states.get(b) == NOT_CACHED) incoming++;
        for (long i = 0; i < 2 * incoming && shouldReclaim(incoming); i++) {
            if (!reclaimOne(next)) break;
        }
    }

    private boolean shouldReclaim(long incoming) {
        long used = cachedBytes() + incoming * blockSize;
        synchronized (lru) {
            if (reclaiming && used < lowBytes) {
                Log.debug("cache: stop reclaiming");
                reclaiming = false;
            } else if (!reclaiming && used >= highBytes) {
                Log.debug("cache: start reclaiming");
                reclaiming = true;
            }
            return reclaiming;
        }
    }

    /** Drops the least recently used block (written back first if dirty); false if there is none. */
    private boolean reclaimOne(Next next) {
        long victim = lru.takeEldest(v -> true);
        if (victim < 0) {
            Log.debug("cache: run out of blocks to reclaim!");
            return false;
        }
        try (var held = locks.lock(victim, victim + 1)) {
            int s = states.get(victim);
            if (s == NOT_CACHED) return true; // reclaimed meanwhile
            Log.debug("cache: reclaiming block " + victim);
            if (s == DIRTY) writeBack(next, victim); // never drop data the plugin does not have
            states.set(victim, NOT_CACHED);
            store.punchHole(blockStart(victim), blockEnd(victim) - blockStart(victim));
            cached.decrementAndGet();
            return true;
        } catch (PluginException e) {
            lru.touch(victim); // still cached (dirty): keep it in the order
            throw e;
        }
    }

    @Override
    public void close() { store.close(); }
}
