package dev.jnbdkit.filters.cow;

import dev.jnbdkit.filters.common.BlockChange;
import dev.jnbdkit.filters.common.BlockLocks;
import dev.jnbdkit.filters.common.BlockStates;
import dev.jnbdkit.filters.common.ReadPolicy;
import dev.jnbdkit.filters.common.Scratch;
import dev.jnbdkit.filters.common.TempStore;
import dev.jnbdkit.filters.common.WholeBlocks;
import dev.jnbdkit.log.Log;
import dev.jnbdkit.spi.CacheMode;
import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.Extent;
import dev.jnbdkit.spi.ExtentSink;
import dev.jnbdkit.spi.Extents;
import dev.jnbdkit.spi.Flags;
import dev.jnbdkit.spi.IoBuffer;
import dev.jnbdkit.spi.Next;
import dev.jnbdkit.spi.PluginException;

import java.lang.foreign.MemorySegment;

/**
 * The copy-on-write overlay every connection shares: a sparse temporary file the size of the
 * plugin, cut into blocks, and a state per block saying where its data is. The plugin below is
 * only ever read.
 *
 * <ul>
 *   <li>{@link #ABSENT}: not in the overlay; the plugin has it (reads and extents go there);
 *   <li>{@link #DATA}: written (or copied) into the overlay file;
 *   <li>{@link #ZERO}: zeroed without permission to punch a hole: reads zeros, extent "zero";
 *   <li>{@link #TRIMMED}: trimmed, or zeroed with MAY_TRIM: reads zeros, extent "hole,zero".
 * </ul>
 *
 * Whole blocks change state directly (zeroed and trimmed blocks give their space back: the
 * overlay's holes are punched). A write into part of a block already in the overlay goes straight
 * to its place in the file; any other partial block is read, changed and written back as a whole
 * (read-modify-write). Both while the block's lock is held.
 *
 * <p>Concurrency: every change of a block's state or of its bytes in the file happens with that
 * block's lock held ({@link BlockLocks}), so partial writes, cow-on-read copies and whole-block
 * writes of the same block never lose each other's data; different blocks proceed in parallel.
 * Reads take no lock: a block's bytes are in the file before its state says DATA, and a read
 * racing a write of the same range may see either, as NBD allows.
 */
final class Overlay implements AutoCloseable {
    static final int ABSENT = 0, DATA = 1, ZERO = 2, TRIMMED = 3;

    /** Largest piece read from the plugin at once when copying a long range into the overlay. */
    private static final long COPY_CHUNK = 4L << 20;

    private final TempStore store;
    private final long blockSize;
    private final long size;
    private final BlockStates states;
    private final BlockLocks locks = new BlockLocks();

    Overlay(TempStore store, long blockSize, long size) {
        this.store = store;
        this.blockSize = blockSize;
        this.size = size;
        this.states = new BlockStates(Math.ceilDiv(size, blockSize));
    }

    long size() { return size; }

    /** The block's state (for tests and debug). */
    int state(long block) { return states.get(block); }

    private long blockStart(long b) { return b * blockSize; }

    /** End of block b, the last block stopping at the end of the disk. */
    private long blockEnd(long b) { return Math.min((b + 1) * blockSize, size); }

    private long firstBlock(long offset) { return offset / blockSize; }

    private long endBlock(long end) { return Math.ceilDiv(end, blockSize); }

    // ---------------------------------------------------------------------------------------------
    // Read

    void read(Next next, IoBuffer buf, long offset, ReadPolicy onRead) {
        long count = buf.length();
        if (count == 0) return;
        long end = offset + count, lastEnd = endBlock(end);
        for (long b = firstBlock(offset); b < lastEnd; ) {
            int s = states.get(b);
            long runEnd = states.runEnd(b, lastEnd);
            long from = Math.max(offset, blockStart(b)), to = Math.min(end, blockEnd(runEnd - 1));
            MemorySegment part = buf.segment().asSlice(from - offset, to - from);
            switch (s) {
                case DATA -> store.read(part, from);
                case ZERO, TRIMMED -> part.fill((byte) 0);
                default -> {
                    // Not in the overlay: the plugin's whole blocks, copied in with cow-on-read.
                    long first = b, last = runEnd;
                    WholeBlocks.read(next, buf, offset, from, to, blockStart(b), blockEnd(runEnd - 1),
                            onRead.active() ? data -> keep(data, first, last) : null);
                }
            }
            b = runEnd;
        }
    }

    /**
     * Copies plugin data of blocks [b, runEnd) (held in {@code data}, from the start of block b)
     * into the overlay, block by block, for the blocks still absent once their lock is held: a
     * write that got there first is never overwritten with older data.
     */
    private void keep(MemorySegment data, long b, long runEnd) {
        try (var held = locks.lock(b, runEnd)) {
            for (long k = b; k < runEnd; k++) {
                if (states.get(k) != ABSENT) continue;
                long at = blockStart(k);
                store.write(data.asSlice(at - blockStart(b), blockEnd(k) - at), at);
                states.set(k, DATA);
            }
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Write, zero, trim

    /**
     * One change of a range (a write, a zero, a trim), cut into blocks by {@link BlockChange}: what it
     * does to a block it covers only in part (in place, or in a copy of the block) and to whole
     * blocks.
     */
    private abstract class Change extends BlockChange {
        final Next next;

        Change(Next next) { this.next = next; }

        @Override
        protected final void partial(long b, long from, long to) { Overlay.this.partial(next, b, from, to, this); }

        /** Changes the disk's [from, from+length) in {@code block}, a copy of the block starting at {@code start}. */
        abstract void patch(MemorySegment block, long start, long from, long length);

        /**
         * Changes the disk's [from, to) straight in the overlay file, for a block already there
         * (its lock held); false when only a read-modify-write can.
         */
        abstract boolean inPlace(long from, long to);
    }

    /** The request's data, from disk offset {@code offset}. */
    private final class Write extends Change {
        private final MemorySegment src;
        private final long offset;

        Write(Next next, MemorySegment src, long offset) {
            super(next);
            this.src = src;
            this.offset = offset;
        }

        @Override
        void patch(MemorySegment block, long start, long from, long length) {
            MemorySegment.copy(src, start + from - offset, block, from, length);
        }

        @Override
        boolean inPlace(long from, long to) {
            // The rest of the block is in the file already: write only what changed (nbdkit
            // rewrites the whole block, a read and a write of cow-block-size for every 4K).
            store.write(src.asSlice(from - offset, to - from), from);
            return true;
        }

        @Override
        protected void whole(long wholeFrom, long wholeTo, long first, long end) {
            store.write(src.asSlice(wholeFrom - offset, wholeTo - wholeFrom), wholeFrom);
            states.setRange(first, end, DATA);
        }
    }

    /** Zeros: whole blocks change state (ZERO or TRIMMED) and give their space back. */
    private final class Discard extends Change {
        private final int wholeState;

        Discard(Next next, int wholeState) {
            super(next);
            this.wholeState = wholeState;
        }

        @Override
        void patch(MemorySegment block, long start, long from, long length) {
            block.asSlice(from, length).fill((byte) 0);
        }

        @Override
        boolean inPlace(long from, long to) { return false; } // rare: no zeros kept to write from

        @Override
        protected void whole(long wholeFrom, long wholeTo, long first, long end) {
            states.setRange(first, end, wholeState);
            store.punchHole(wholeFrom, wholeTo - wholeFrom);
        }
    }

    void write(Next next, IoBuffer buf, long offset) {
        long count = buf.length();
        if (count == 0) return;
        change(count, offset, new Write(next, buf.segment(), offset));
    }

    /** Zeroes [offset, offset+count): whole blocks become ZERO or TRIMMED, partial ones are rewritten. */
    void zero(Next next, long count, long offset, int flags) {
        int whole = Flags.has(flags, Flags.MAY_TRIM) ? TRIMMED : ZERO;
        if (Flags.has(flags, Flags.FAST_ZERO) && hasPartialBlock(count, offset)) {
            // A partial block needs a read-modify-write, maybe of plugin data: not fast.
            throw new PluginException(Errno.ENOTSUP, null);
        }
        discard(next, count, offset, whole);
    }

    /** Trims [offset, offset+count): whole blocks become TRIMMED; partial ones read as zeros. */
    void trim(Next next, long count, long offset) {
        discard(next, count, offset, TRIMMED);
    }

    private void discard(Next next, long count, long offset, int wholeState) {
        if (count == 0) return;
        change(count, offset, new Discard(next, wholeState));
    }

    private boolean hasPartialBlock(long count, long offset) {
        long end = offset + count;
        boolean headPartial = offset % blockSize != 0;
        boolean tailPartial = end % blockSize != 0 && end != size;
        return count > 0 && (headPartial || tailPartial);
    }

    /**
     * Applies a change to [offset, offset+count) with the locks of all its blocks held: the
     * partial head and tail blocks in place or by read-modify-write, the whole blocks between in
     * one go.
     */
    private void change(long count, long offset, Change change) {
        try (var held = locks.lock(firstBlock(offset), endBlock(offset + count))) {
            change.apply(offset, count, blockSize, size);
        }
    }

    /** Changes the bytes [from, to) of the disk in block b (lock held). */
    private void partial(Next next, long b, long from, long to, Change change) {
        if (states.get(b) == DATA && change.inPlace(from, to)) return;
        long start = blockStart(b);
        IoBuffer block = Scratch.take(blockEnd(b) - start);
        try {
            readBlock(next, b, block);
            change.patch(block.segment(), start, from - start, to - from);
            store.write(block.segment(), start);
        } finally {
            block.release();
        }
        states.set(b, DATA);
    }

    private void readBlock(Next next, long b, IoBuffer block) {
        switch (states.get(b)) {
            case DATA -> store.read(block.segment(), blockStart(b));
            case ZERO, TRIMMED -> block.segment().fill((byte) 0);
            default -> next.pread(block, blockStart(b), 0);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Extents and cache

    void extents(Next next, long count, long offset, int flags, ExtentSink sink) {
        long end = offset + count, lastEnd = endBlock(end);
        boolean one = Flags.has(flags, Flags.REQ_ONE);
        for (long b = firstBlock(offset); b < lastEnd; ) {
            int s = states.get(b);
            long runEnd = states.runEnd(b, lastEnd);
            // With REQ_ONE a block of the overlay answers alone (as nbdkit does).
            if (one && s != ABSENT) runEnd = b + 1;
            long from = Math.max(offset, blockStart(b)), to = Math.min(end, blockEnd(runEnd - 1));
            switch (s) {
                case DATA -> sink.add(from, to - from, Extent.DATA);
                case ZERO -> sink.add(from, to - from, Extent.ZERO);
                case TRIMMED -> sink.add(from, to - from, Extent.HOLE | Extent.ZERO);
                default -> Extents.full(next, to - from, from, flags).copyTo(sink, 0);
            }
            if (one) return;
            b = runEnd;
        }
    }

    /**
     * A cache (prefetch) request, widened to whole blocks: blocks in the overlay get a read-ahead
     * hint; absent ones are copied into the overlay with cow-on-cache, else the request goes on
     * to the plugin if it can cache (nbdkit does the same).
     */
    void cache(Next next, long count, long offset, boolean copyIntoOverlay) {
        if (count == 0) return;
        long lastEnd = endBlock(offset + count);
        for (long b = firstBlock(offset); b < lastEnd; ) {
            int s = states.get(b);
            long runEnd = states.runEnd(b, lastEnd);
            long from = blockStart(b), to = blockEnd(runEnd - 1);
            if (s == DATA) {
                store.willNeed(from, to - from);
            } else if (s == ABSENT) {
                if (copyIntoOverlay) {
                    copyRun(next, b, runEnd);
                } else if (next.canCache() != CacheMode.NONE) {
                    next.cache(to - from, from, 0);
                }
            }
            b = runEnd;
        }
    }

    /** Copies absent blocks [b, runEnd) from the plugin into the overlay, a few MiB at a time. */
    private void copyRun(Next next, long b, long runEnd) {
        long perPiece = Math.max(1, COPY_CHUNK / blockSize);
        for (long k = b; k < runEnd; k += perPiece) {
            long kEnd = Math.min(runEnd, k + perPiece);
            IoBuffer data = IoBuffer.allocate(blockEnd(kEnd - 1) - blockStart(k));
            next.pread(data, blockStart(k), 0);
            keep(data.segment(), k, kEnd);
        }
    }

    @Override
    public void close() {
        Log.debug("cow: closing the overlay");
        store.close();
    }
}
