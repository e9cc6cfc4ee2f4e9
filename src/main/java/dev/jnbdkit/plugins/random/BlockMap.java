package dev.jnbdkit.plugins.random;

import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.PluginException;

/**
 * Which 4 KiB blocks of a sparse-random disk hold data: one bit per block, drawn once.
 *
 * <p>The draw is a two-state walk over the blocks (nbdkit's method, described in
 * nbdkit-sparse-random-plugin's source): in the data state each block ends the run with
 * probability P(data→hole) = 1 / (runlength in blocks); in the hole state it starts one with
 * P(hole→data) = p · P(data→hole) / (1 − p), which makes the long-run share of data p. Each
 * step draws one 64-bit number from xoshiro256** seeded with the seed and flips when it is at
 * most P·2⁶⁴. A block is data if the walk was in the data state when it reached it.
 */
final class BlockMap {
    static final int BLOCK = 4096;
    private static final double TWO_TO_64 = 18446744073709551616.0;

    private final long blocks;
    private final long[] bits;

    private BlockMap(long blocks) {
        this.blocks = blocks;
        long words = (blocks + 63) / 64;
        if (words > Integer.MAX_VALUE - 8) {
            throw new PluginException(Errno.ENOMEM, "sparse-random: the disk is too large for the block map");
        }
        this.bits = new long[(int) words];
    }

    static BlockMap draw(long size, long seed, double percent, long runLength) {
        BlockMap m = new BlockMap((size + BLOCK - 1) / BLOCK);
        if (percent == 0) return m;
        if (percent == 100) {
            for (long b = 0; b < m.blocks; b++) m.set(b);
            return m;
        }
        double pDataToHole = 1.0 / ((double) runLength / BLOCK);
        double pHoleToData = (percent / 100.0) * pDataToHole / (1.0 - percent / 100.0);
        double flipDataToHole = pDataToHole * TWO_TO_64;
        double flipHoleToData = pHoleToData * TWO_TO_64;
        Xoshiro256 g = new Xoshiro256(seed);
        boolean data = false;
        for (long b = 0; b < m.blocks; b++) {
            if (data) m.set(b);
            if (unsignedToDouble(g.next()) <= (data ? flipDataToHole : flipHoleToData)) data = !data;
        }
        return m;
    }

    /** An unsigned 64-bit number as the nearest double, as C converts it. */
    static double unsignedToDouble(long x) {
        if (x >= 0) return (double) x;
        return (double) ((x >>> 1) | (x & 1)) * 2.0;
    }

    private void set(long b) { bits[(int) (b >>> 6)] |= 1L << (b & 63); }

    boolean isData(long b) { return b < blocks && (bits[(int) (b >>> 6)] & (1L << (b & 63))) != 0; }

    long blocks() { return blocks; }

    long dataBlocks() {
        long n = 0;
        for (long w : bits) n += Long.bitCount(w);
        return n;
    }

    /** The first block after {@code b} whose state differs from {@code b}'s (or the end). */
    long runEnd(long b) {
        boolean d = isData(b);
        long e = b + 1;
        while (e < blocks && isData(e) == d) {
            // skip whole words of the same state
            if ((e & 63) == 0 && e + 64 <= blocks && bits[(int) (e >>> 6)] == (d ? -1L : 0L)) e += 64;
            else e++;
        }
        return e;
    }
}
