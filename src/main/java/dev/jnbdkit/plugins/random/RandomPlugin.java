package dev.jnbdkit.plugins.random;

import dev.jnbdkit.plugins.PluginVersion;
import dev.jnbdkit.spi.CacheMode;
import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.Handle;
import dev.jnbdkit.spi.IoBuffer;
import dev.jnbdkit.spi.OpenContext;
import dev.jnbdkit.spi.Plugin;
import dev.jnbdkit.spi.PluginException;
import dev.jnbdkit.spi.Sizes;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * {@code random}: a non-sparse disk of random bytes, as nbdkit-random-plugin(1).
 * {@code [size=]SIZE} (default 0) and {@code seed=} (an unsigned 32-bit number; default the
 * time). Each byte is a function of the seed and its offset ({@link Xoshiro256#byteAt}), the
 * same as nbdkit's. Writes succeed only if they write what is already there (for testing copies
 * onto the same disk); trim and zero always fail with EIO.
 */
public final class RandomPlugin implements Plugin {
    private long size;
    private long seed = Seeds.fromClock();

    public RandomPlugin() {}

    @Override public String name() { return "random"; }

    @Override public String version() { return PluginVersion.VERSION; }

    @Override public String longname() { return "nbdkit random plugin"; }

    @Override public String description() { return "A disk of random bytes, repeatable with seed=."; }

    @Override public String configHelp() {
        return "size=<SIZE>  (required) Size of the backing disk\n"
                + "seed=<SEED>             Random number generator seed";
    }

    @Override public String magicConfigKey() { return "size"; }

    @Override
    public void config(String key, String value) {
        switch (key) {
            case "size" -> size = Sizes.parse(value);
            case "seed" -> seed = Seeds.parse(value);
            default -> throw new PluginException(Errno.EINVAL, "unknown parameter '" + key + "'");
        }
    }

    @Override public Class<? extends Handle> handleType() { return RandomHandle.class; }

    @Override public Handle open(OpenContext context) { return new RandomHandle(size, seed); }

    /** The random bytes at {@code offset} into {@code dst}. */
    static void fill(MemorySegment dst, long seed, long offset) {
        long len = dst.byteSize();
        for (long i = 0; i < len; i++) dst.set(ValueLayout.JAVA_BYTE, i, Xoshiro256.byteAt(seed, offset + i));
    }

    private record RandomHandle(long size, long seed) implements Handle {
        @Override public long getSize() { return size; }

        @Override public boolean canWrite() { return true; }

        @Override public boolean canTrim() { return true; }

        @Override public boolean canZero() { return true; }

        @Override public boolean canMultiConn() { return true; }

        @Override public CacheMode canCache() { return CacheMode.NATIVE; }

        @Override public void pread(IoBuffer buf, long offset, int flags) { fill(buf.segment(), seed, offset); }

        @Override public void pwrite(IoBuffer buf, long offset, int flags) {
            MemorySegment b = buf.segment();
            for (long i = 0; i < b.byteSize(); i++) {
                if (b.get(ValueLayout.JAVA_BYTE, i) != Xoshiro256.byteAt(seed, offset + i)) {
                    throw new PluginException(Errno.EIO, "data written does not match expected");
                }
            }
        }

        @Override public void trim(long count, long offset, int flags) { refuse(); }

        @Override public void zero(long count, long offset, int flags) { refuse(); }

        private static void refuse() {
            throw new PluginException(Errno.EIO, "attempt to trim or zero non-sparse random disk");
        }
    }
}
