package dev.jnbdkit.filters.common;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A state of 0..3 for each block of a disk, two bits a block (nbdkit's bitmap with
 * {@code bitmap_get_blk}/{@code bitmap_set_blk}): what the cow overlay and the cache know of each
 * block. Lock-free and thread-safe: each set is one compare-and-set of the word holding the block,
 * so neighbours updated at once never lose each other's changes. Callers that need a state to stay
 * put while they act on it hold the block's lock ({@link BlockLocks}).
 */
public final class BlockStates {
    private static final int PER_WORD = 32;

    private final long blocks;
    private final AtomicLongArray words;

    public BlockStates(long blocks) {
        if (blocks < 0 || (blocks + PER_WORD - 1) / PER_WORD > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("too many blocks: " + blocks);
        }
        this.blocks = blocks;
        this.words = new AtomicLongArray((int) ((blocks + PER_WORD - 1) / PER_WORD));
    }

    public long blocks() { return blocks; }

    public int get(long block) {
        long w = words.get((int) (block / PER_WORD));
        return (int) (w >>> shift(block)) & 3;
    }

    public void set(long block, int state) {
        int i = (int) (block / PER_WORD);
        int s = shift(block);
        long mask = 3L << s, bits = (long) (state & 3) << s;
        while (true) {
            long w = words.get(i);
            long n = (w & ~mask) | bits;
            if (w == n || words.compareAndSet(i, w, n)) return;
        }
    }

    /** Sets every block of [first, end) to {@code state}. */
    public void setRange(long first, long end, int state) {
        for (long b = first; b < end; b++) set(b, state);
    }

    /** The end of the run of blocks from {@code first} (below {@code end}) that share its state. */
    public long runEnd(long first, long end) {
        int s = get(first);
        long b = first + 1;
        while (b < end && get(b) == s) b++;
        return b;
    }

    /** The first block at or after {@code from} whose state is not 0, or -1. */
    public long nextNonZero(long from) {
        for (long b = Math.max(0, from); b < blocks; ) {
            int i = (int) (b / PER_WORD);
            long w = words.get(i) >>> shift(b);
            if (w == 0) {
                b = (long) (i + 1) * PER_WORD;
                continue;
            }
            if ((w & 3) != 0) return b;
            b++;
        }
        return -1;
    }

    private static int shift(long block) { return (int) (block % PER_WORD) * 2; }
}
