package dev.jnbdkit.plugins.pattern;

import dev.jnbdkit.plugins.SizeOnlyPlugin;
import dev.jnbdkit.spi.CacheMode;
import dev.jnbdkit.spi.Handle;
import dev.jnbdkit.spi.IoBuffer;
import dev.jnbdkit.spi.OpenContext;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * {@code pattern}: a read-only disk where every 8-byte word holds its own offset, big-endian,
 * as nbdkit-pattern-plugin(1). {@code [size=]SIZE}, default 0; a size that is not a multiple of
 * 8 cuts the last word short.
 */
public final class PatternPlugin extends SizeOnlyPlugin {
    private static final ValueLayout.OfLong BE_WORD =
            ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    public PatternPlugin() { super(null); }

    @Override public String name() { return "pattern"; }

    @Override public String longname() { return "nbdkit pattern plugin"; }

    @Override public String description() {
        return "A read-only test disk: each 8-byte word holds its own offset (64-bit big-endian).";
    }

    @Override public Class<? extends Handle> handleType() { return PatternHandle.class; }

    @Override public Handle open(OpenContext context) { return new PatternHandle(size); }

    /** The bytes of the pattern at {@code offset}, into {@code dst}. */
    public static void fill(MemorySegment dst, long offset) {
        long len = dst.byteSize();
        long pos = 0;
        // Unaligned head and tail byte by byte, whole words in between.
        while (pos < len && ((offset + pos) & 7) != 0) {
            dst.set(ValueLayout.JAVA_BYTE, pos, byteAt(offset + pos));
            pos++;
        }
        while (len - pos >= 8) {
            dst.set(BE_WORD, pos, offset + pos);
            pos += 8;
        }
        while (pos < len) {
            dst.set(ValueLayout.JAVA_BYTE, pos, byteAt(offset + pos));
            pos++;
        }
    }

    static byte byteAt(long offset) {
        long word = offset & ~7L;
        int shift = 8 * (7 - (int) (offset & 7));
        return (byte) (word >>> shift);
    }

    private record PatternHandle(long size) implements Handle {
        @Override public long getSize() { return size; }

        @Override public boolean canMultiConn() { return true; }

        @Override public CacheMode canCache() { return CacheMode.NATIVE; }

        @Override public void pread(IoBuffer buf, long offset, int flags) { fill(buf.segment(), offset); }
    }
}
