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
    private static final int STRIPES = 64;

    private final ReentrantLock[] stripes = new ReentrantLock[STRIPES];

    public BlockLocks() {
        for (int i = 0; i < STRIPES; i++) stripes[i] = new ReentrantLock();
    }

    /** Held stripes; close to release. */
    public interface Held extends AutoCloseable {
        @Override void close();
    }

    /** Locks every block of [first, end) (end > first). */
    public Held lock(long first, long end) {
        long n = end - first;
        boolean[] want = new boolean[STRIPES];
        if (n >= STRIPES) {
            java.util.Arrays.fill(want, true);
        } else {
            for (long b = first; b < end; b++) want[(int) (b % STRIPES)] = true;
        }
        for (int i = 0; i < STRIPES; i++) if (want[i]) stripes[i].lock();
        return () -> {
            for (int i = STRIPES - 1; i >= 0; i--) if (want[i]) stripes[i].unlock();
        };
    }
}
