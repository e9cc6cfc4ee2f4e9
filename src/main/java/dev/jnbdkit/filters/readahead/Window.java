package dev.jnbdkit.filters.readahead;

/**
 * The adaptive prefetch window of one connection: sequential reads (each starting where the
 * last ended) double it up to {@link #MAX}, any other read puts it back to {@link #MIN}. Returns
 * the range to prefetch after a read, never one already prefetched. Not thread-safe: the caller
 * locks.
 */
final class Window {
    static final long MIN = 32 * 1024;
    static final long MAX = 4 * 1024 * 1024;

    private long size = MIN;
    private long lastEnd = -1;
    /** Prefetched up to here on the current sequential run. */
    private long prefetched = -1;

    /** A range to prefetch, as {offset, count}, or null; {@code diskSize} clips it. */
    long[] afterRead(long offset, long count, long diskSize) {
        long end = offset + count;
        if (offset == lastEnd) {
            size = Math.min(MAX, size * 2);
        } else {
            size = MIN;
            prefetched = -1;
        }
        lastEnd = end;
        long from = Math.max(end, prefetched);
        long to = Math.min(diskSize, end + size);
        if (from >= to) return null;
        prefetched = to;
        return new long[] {from, to - from};
    }
}
