package dev.jnbdkit.filters.truncate;

import dev.jnbdkit.filters.FilterArgs;
import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.Extent;
import dev.jnbdkit.spi.ExtentSink;
import dev.jnbdkit.spi.Filter;
import dev.jnbdkit.spi.FilterContext;
import dev.jnbdkit.spi.FilterHandle;
import dev.jnbdkit.spi.IoBuffer;
import dev.jnbdkit.spi.Next;
import dev.jnbdkit.spi.NextBackend;
import dev.jnbdkit.spi.OpenContext;
import dev.jnbdkit.spi.PluginException;
import dev.jnbdkit.spi.Sizes;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * nbdkit-truncate-filter: gives the next layer another size. Bytes past the real end read as
 * zeros, may be written with zeros only (anything else is ENOSPC), and are a hole in extents;
 * requests that straddle the real end are split there.
 */
public final class TruncateFilter implements Filter {
    private long truncate = -1;
    private long roundUp;
    private long roundDown;

    @Override public String name() { return "truncate"; }

    @Override public String longname() { return "nbdkit truncate filter"; }

    @Override
    public String configHelp() {
        return "truncate=<SIZE>                The new size.\n"
                + "round-up=<N>                   Round up to next multiple of N.\n"
                + "round-down=<N>                 Round down to multiple of N.";
    }

    @Override
    public void config(NextBackend next, String key, String value) {
        switch (key) {
            case "truncate" -> truncate = Sizes.parse(value);
            case "round-up" -> roundUp = powerOfTwo("round-up", Sizes.parse(value));
            case "round-down" -> roundDown = powerOfTwo("round-down", Sizes.parse(value));
            default -> next.config(key, value);
        }
    }

    private static long powerOfTwo(String key, long n) {
        if (n == 0) throw FilterArgs.bad("if set, the " + key + " parameter must be > 0");
        if (n > 0xffffffffL) throw FilterArgs.bad("the " + key + " parameter is too large");
        if (Long.bitCount(n) != 1) throw FilterArgs.bad("the " + key + " parameter must be a power of 2");
        return n;
    }

    @Override
    public FilterHandle open(FilterContext context, OpenContext request) {
        context.open(request.readonly(), request.exportName());
        return new Resized();
    }

    /** One connection: the real size of the next layer and the size shown, fixed at prepare. */
    private final class Resized implements FilterHandle {
        private long real;
        private long size;

        @Override
        public void prepare(Next next, boolean readonly) {
            real = next.getSize();
            long s = truncate >= 0 ? truncate : real;
            if (roundUp > 0) {
                long up = (s + roundUp - 1) & -roundUp;
                if (s + roundUp - 1 < 0 || up < 0) {
                    throw new PluginException(Errno.EIO, "cannot round size " + s + " up to next boundary of " + roundUp);
                }
                s = up;
            }
            if (roundDown > 0) s &= -roundDown;
            size = s;
        }

        @Override public long getSize(Next next) { return size; }

        /** How many of {@code count} bytes at {@code offset} lie in the next layer. */
        private long inside(long count, long offset) {
            return offset >= real ? 0 : Math.min(count, real - offset);
        }

        @Override
        public void pread(Next next, IoBuffer buf, long offset, int flags) {
            long n = inside(buf.length(), offset);
            if (n > 0) next.pread(n == buf.length() ? buf : buf.slice(0, n), offset, flags);
            if (n < buf.length()) buf.segment().asSlice(n).fill((byte) 0);
        }

        @Override
        public void pwrite(Next next, IoBuffer buf, long offset, int flags) {
            long n = inside(buf.length(), offset);
            if (n < buf.length() && !allZero(buf.segment().asSlice(n))) {
                throw new PluginException(Errno.ENOSPC, "truncate: write beyond end of underlying device");
            }
            if (n > 0) next.pwrite(n == buf.length() ? buf : buf.slice(0, n), offset, flags);
        }

        @Override
        public void trim(Next next, long count, long offset, int flags) {
            long n = inside(count, offset);
            if (n > 0) next.trim(n, offset, flags);
        }

        @Override
        public void zero(Next next, long count, long offset, int flags) {
            long n = inside(count, offset);
            if (n > 0) next.zero(n, offset, flags);
        }

        @Override
        public void cache(Next next, long count, long offset, int flags) {
            long n = inside(count, offset);
            if (n > 0) next.cache(n, offset, flags);
        }

        @Override
        public void extents(Next next, long count, long offset, int flags, ExtentSink extents) {
            // As nbdkit: past the real end, one hole reading as zeros to the end; a request that
            // straddles the real end gets only the next layer's extents (the client asks again).
            if (offset >= real) {
                extents.add(offset, size - offset, Extent.HOLE | Extent.ZERO);
            } else {
                next.extents(inside(count, offset), offset, flags, extents);
            }
        }
    }

    static boolean allZero(MemorySegment s) {
        long len = s.byteSize(), i = 0;
        for (; i + 8 <= len; i += 8) if (s.get(ValueLayout.JAVA_LONG_UNALIGNED, i) != 0) return false;
        for (; i < len; i++) if (s.get(ValueLayout.JAVA_BYTE, i) != 0) return false;
        return true;
    }
}
