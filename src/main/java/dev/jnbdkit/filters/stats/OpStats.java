package dev.jnbdkit.filters.stats;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * The counters of one kind of request: how many, how many bytes, how long the layers below took,
 * and (for the histogram) requests by size bits and offset alignment. Thread-safe.
 */
final class OpStats {
    final String name;
    final LongAdder ops = new LongAdder();
    final LongAdder bytes = new LongAdder();
    final LongAdder nanos = new LongAdder();
    /** size bits → (alignment bits → count); guarded by {@code this}. */
    private final Map<Integer, Bucket> buckets = new TreeMap<>();

    /** Requests whose size has the same highest set bit. */
    static final class Bucket {
        final int bits;
        /** Which bucket came first: ties in the breakdown go to the earlier one, as in nbdkit. */
        final int seen;
        long count;
        long bytes;
        /** Index k: requests whose offset has exactly k trailing zero bits (64 for offset 0). */
        final long[] aligned = new long[65];

        Bucket(int bits, int seen) {
            this.bits = bits;
            this.seen = seen;
        }
    }

    OpStats(String name) { this.name = name; }

    void record(long count, long offset, long elapsedNanos, boolean histogram) {
        ops.increment();
        bytes.add(count);
        nanos.add(elapsedNanos);
        if (!histogram || count == 0) return;
        int bits = 63 - Long.numberOfLeadingZeros(count);
        int align = offset == 0 ? 64 : Long.numberOfTrailingZeros(offset);
        synchronized (this) {
            Bucket b = buckets.computeIfAbsent(bits, k -> new Bucket(k, buckets.size()));
            b.count++;
            b.bytes += count;
            b.aligned[align]++;
        }
    }

    synchronized java.util.List<Bucket> buckets() { return new java.util.ArrayList<>(buckets.values()); }
}
