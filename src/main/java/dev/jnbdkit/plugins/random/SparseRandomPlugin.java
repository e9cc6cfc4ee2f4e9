package dev.jnbdkit.plugins.random;

import dev.jnbdkit.plugins.PluginVersion;
import dev.jnbdkit.spi.CacheMode;
import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.Extent;
import dev.jnbdkit.spi.ExtentSink;
import dev.jnbdkit.spi.Handle;
import dev.jnbdkit.spi.IoBuffer;
import dev.jnbdkit.spi.Nbdkit;
import dev.jnbdkit.spi.OpenContext;
import dev.jnbdkit.spi.Plugin;
import dev.jnbdkit.spi.PluginException;
import dev.jnbdkit.spi.Sizes;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * {@code sparse-random}: a disk shaped like a virtual machine's, runs of random data between
 * runs of holes, as nbdkit-sparse-random-plugin(1). {@code [size=]SIZE}, {@code seed=},
 * {@code percent=} (of data, default 10), {@code runlength=} (mean data run, default 16M),
 * {@code random-content=} (each byte random rather than one random non-zero byte per block).
 * The map of data and holes ({@link BlockMap}) is drawn once at start from the seed, with
 * nbdkit's method, so the same seed gives nbdkit's disk. Writes must match the data, trim and
 * zero only succeed on holes; flush does nothing.
 */
public final class SparseRandomPlugin implements Plugin {
    private long size;
    private long seed = Seeds.fromClock();
    private double percent = 10;
    private long runLength = 16L << 20;
    private boolean randomContent;
    private volatile BlockMap map;

    public SparseRandomPlugin() {}

    @Override public String name() { return "sparse-random"; }

    @Override public String version() { return PluginVersion.VERSION; }

    @Override public String longname() { return "nbdkit sparse random plugin"; }

    @Override public String description() {
        return "A sparse disk of random data in runs, like a virtual machine's disk, for testing copies.";
    }

    @Override public String configHelp() {
        return "size=<SIZE>  (required) Size of the backing disk\n"
                + "seed=<SEED>             Random number generator seed\n"
                + "percent=<PERCENT>       Percentage of data\n"
                + "runlength=<BYTES>       Expected average run length of data\n"
                + "random-content=true     Fully random content in each block";
    }

    @Override public String magicConfigKey() { return "size"; }

    @Override
    public void config(String key, String value) {
        switch (key) {
            case "size" -> size = Sizes.parse(value);
            case "seed" -> seed = Seeds.parse(value);
            case "percent" -> percent = parsePercent(value);
            case "runlength" -> {
                runLength = Sizes.parse(value);
                if (runLength <= 0) throw new PluginException(Errno.EINVAL, "runlength parameter must be > 0");
            }
            case "random-content" -> randomContent = Sizes.parseBool(value);
            default -> throw new PluginException(Errno.EINVAL, "unknown parameter '" + key + "'");
        }
    }

    /** A decimal number 0..100, read like C's {@code %lf} (leading number, rest ignored). */
    static double parsePercent(String value) {
        java.util.regex.Matcher m = java.util.regex.Pattern
                .compile("\\s*[+-]?(\\d+\\.?\\d*([eE][+-]?\\d+)?|\\.\\d+([eE][+-]?\\d+)?)").matcher(value);
        double p = m.lookingAt() ? Double.parseDouble(m.group().strip()) : Double.NaN;
        if (!(p >= 0 && p <= 100)) throw new PluginException(Errno.EINVAL, "cannot parse percent parameter: " + value);
        return p;
    }

    @Override
    public void getReady() { map(); }

    private BlockMap map() {
        BlockMap m = map;
        if (m == null) {
            synchronized (this) {
                m = map;
                if (m == null) {
                    m = BlockMap.draw(size, seed, percent, runLength);
                    Nbdkit.debug("sparse-random: " + m.dataBlocks() + " of " + m.blocks() + " blocks are data");
                    map = m;
                }
            }
        }
        return m;
    }

    @Override public Class<? extends Handle> handleType() { return SparseRandomHandle.class; }

    @Override public Handle open(OpenContext context) { return new SparseRandomHandle(size, seed, randomContent, map()); }

    private record SparseRandomHandle(long size, long seed, boolean randomContent, BlockMap map) implements Handle {
        private static final int BLOCK = BlockMap.BLOCK;

        @Override public long getSize() { return size; }

        @Override public boolean canWrite() { return true; }

        @Override public boolean canFlush() { return true; }

        @Override public boolean canTrim() { return true; }

        @Override public boolean canZero() { return true; }

        @Override public boolean canExtents() { return true; }

        @Override public boolean canMultiConn() { return true; }

        @Override public CacheMode canCache() { return CacheMode.NATIVE; }

        @Override public void flush(int flags) {}

        /** Block {@code blk}'s bytes: zeros for a hole, else generated from the block's offset. */
        private void block(long blk, byte[] out) {
            if (!map.isData(blk)) {
                java.util.Arrays.fill(out, (byte) 0);
                return;
            }
            Xoshiro256 g = new Xoshiro256(seed + blk * BLOCK);
            if (!randomContent) {
                byte b = (byte) g.next();
                java.util.Arrays.fill(out, b == 0 ? 1 : b);
            } else {
                for (int i = 0; i < BLOCK; i++) out[i] = (byte) g.next();
            }
        }

        @Override public void pread(IoBuffer buf, long offset, int flags) {
            MemorySegment dst = buf.segment();
            eachBlock(offset, dst.byteSize(), (blk, in, pos, n) -> MemorySegment.copy(blk, in, dst, ValueLayout.JAVA_BYTE, pos, n));
        }

        @Override public void pwrite(IoBuffer buf, long offset, int flags) {
            MemorySegment src = buf.segment();
            eachBlock(offset, src.byteSize(), (blk, in, pos, n) -> {
                if (MemorySegment.mismatch(MemorySegment.ofArray(blk), in, in + n, src, pos, pos + n) >= 0) {
                    throw new PluginException(Errno.EIO, "data written does not match expected");
                }
            });
        }

        /** What to do with bytes [in, in+n) of one block's contents, which are [pos, pos+n) of the request. */
        private interface BlockPart {
            void accept(byte[] blk, int in, long pos, int n);
        }

        /** The blocks [offset, offset+len) covers, each generated in turn into one scratch array. */
        private void eachBlock(long offset, long len, BlockPart part) {
            byte[] blk = new byte[BLOCK];
            for (long pos = 0; pos < len; ) {
                long off = offset + pos;
                int in = (int) (off % BLOCK);
                int n = (int) Math.min(BLOCK - in, len - pos);
                block(off / BLOCK, blk);
                part.accept(blk, in, pos, n);
                pos += n;
            }
        }

        @Override public void trim(long count, long offset, int flags) { onlyHoles(count, offset); }

        @Override public void zero(long count, long offset, int flags) { onlyHoles(count, offset); }

        private void onlyHoles(long count, long offset) {
            if (count == 0) return;
            for (long b = offset / BLOCK, last = (offset + count - 1) / BLOCK; b <= last; b++) {
                if (map.isData(b)) throw new PluginException(Errno.EIO, "trying to trim or zero non-hole in disk");
            }
        }

        @Override public void extents(long count, long offset, int flags, ExtentSink extents) {
            long end = Math.min(size, offset + count);
            long pos = offset;
            while (pos < end) {
                long b = pos / BLOCK;
                boolean data = map.isData(b);
                long runEnd = Math.min(end, map.runEnd(b) * BLOCK);
                extents.add(pos, runEnd - pos, data ? Extent.DATA : Extent.HOLE | Extent.ZERO);
                pos = runEnd;
            }
        }
    }
}
