package dev.jnbdkit.filters.common;

import java.util.concurrent.locks.ReentrantLock;

/**
 * Locks for ranges of blocks: a fixed set of stripes, block b guarded by stripe b mod N. A request
 * locks the stripes of all its blocks, always in ascending stripe order, so two requests can never
 * deadlock; requests on different blocks mostly run in parallel. This is what makes a
 * read-modify-write of a partial block, or a block copied into the overlay on read, atomic with
 * respect to every other change of the same block (nbdkit serialises those through one global
 * lock).
 */
public final class BlockLocks {
    /** One bit of a long per stripe: a request's stripes are a mask, with no array to allocate. */
    private static final int STRIPES = Long.SIZE;

    private final ReentrantLock[] stripes = new ReentrantLock[STRIPES];

    public BlockLocks() {
        for (int i = 0; i < STRIPES; i++) stripes[i] = new ReentrantLock();
    }

    /** The stripes held by one request; close to release them. */
    public final class Held implements AutoCloseable {
        private final long mask;

        private Held(long mask) { this.mask = mask; }

        @Override
        public void close() {
            for (long m = mask; m != 0; m &= m - 1) stripes[Long.numberOfTrailingZeros(m)].unlock();
        }
    }

    /** Locks every block of [first, end) (end > first). */
    public Held lock(long first, long end) {
        long mask = stripesOf(first, end);
        for (long m = mask; m != 0; m &= m - 1) stripes[Long.numberOfTrailingZeros(m)].lock();
        return new Held(mask);
    }

    /** The stripes of blocks [first, end): n consecutive bits from stripe first mod N, wrapping. */
    static long stripesOf(long first, long end) {
        long n = end - first;
        if (n >= STRIPES) return -1L;
        return Long.rotateLeft((1L << n) - 1, (int) (first % STRIPES));
    }
}
