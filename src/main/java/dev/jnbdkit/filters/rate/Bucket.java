package dev.jnbdkit.filters.rate;

/**
 * A token bucket (tokens are bits): it fills at {@code rate} bits per second up to
 * {@code rate × burstiness}, and a request takes its bits out, waiting for what is missing.
 * Thread-safe; a rate of 0 means unlimited.
 */
final class Bucket {
    private final double burstiness;
    private long rate;
    private double capacity;
    private double level;
    private long lastNanos;

    Bucket(long rate, double burstiness) {
        this.burstiness = burstiness;
        this.lastNanos = System.nanoTime();
        setRate(rate);
        this.level = capacity; // idle since start: a full bucket
    }

    synchronized long rate() { return rate; }

    synchronized void setRate(long newRate) {
        rate = newRate;
        capacity = newRate * burstiness;
        if (level > capacity) level = capacity;
    }

    /**
     * Takes {@code bits} out of the bucket: returns 0 when they were there, else takes what there
     * is and returns the nanoseconds to wait before asking again for the rest via {@link #take}.
     */
    synchronized long[] take(long bits) {
        if (rate == 0) return new long[] {0, 0};
        long now = System.nanoTime();
        level = Math.min(capacity, level + rate * ((now - lastNanos) / 1e9));
        lastNanos = now;
        if (level >= bits) {
            level -= bits;
            return new long[] {0, 0};
        }
        long missing = (long) Math.ceil(bits - level);
        level = 0;
        long waitNanos = (long) Math.ceil(missing * 1e9 / rate);
        return new long[] {missing, waitNanos};
    }

    /** Waits until {@code bits} have been taken out. */
    void consume(long bits) throws InterruptedException {
        while (bits > 0) {
            long[] r = take(bits);
            bits = r[0];
            if (bits > 0) Thread.sleep(r[1] / 1_000_000, (int) (r[1] % 1_000_000));
        }
    }
}
