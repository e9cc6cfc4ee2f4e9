package dev.jnbdkit.filters.blocksize;

import dev.jnbdkit.spi.BlockSize;

/**
 * One connection's effective limits: the configured ones combined with what the plugin
 * advertises (its minimum raises {@code minblock}, its maximum caps {@code maxdata}).
 */
record Limits(long minblock, long maxdata, long maxlen) {
    /** {@code configured*} are 0 where not given; {@code plugin} may be null. */
    static Limits of(long configuredMin, long configuredMaxdata, long configuredMaxlen, BlockSize plugin) {
        long min = Math.max(1, configuredMin);
        if (plugin != null) min = Math.max(min, plugin.minimum());
        long data = configuredMaxdata != 0 ? configuredMaxdata : BlocksizeFilter.NBDKIT_MAX_DATA;
        if (plugin != null && plugin.maximum() != BlocksizeFilter.PROTOCOL_MAX) data = Math.min(data, plugin.maximum());
        data = Math.max(min, data / min * min);
        long len = configuredMaxlen != 0 ? configuredMaxlen : BlocksizeFilter.PROTOCOL_MAX;
        len = Math.max(min, len / min * min);
        return new Limits(min, data, len);
    }

    long down(long x) { return x / minblock * minblock; }

    long up(long x) { return (x + minblock - 1) / minblock * minblock; }

    boolean aligned(long x) { return x % minblock == 0; }
}
