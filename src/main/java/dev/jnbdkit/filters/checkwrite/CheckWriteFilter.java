package dev.jnbdkit.filters.checkwrite;

import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.Extent;
import dev.jnbdkit.spi.Extents;
import dev.jnbdkit.spi.Filter;
import dev.jnbdkit.spi.FilterContext;
import dev.jnbdkit.spi.FilterHandle;
import dev.jnbdkit.spi.Flags;
import dev.jnbdkit.spi.FuaMode;
import dev.jnbdkit.spi.IoBuffer;
import dev.jnbdkit.spi.Next;
import dev.jnbdkit.spi.OpenContext;
import dev.jnbdkit.spi.PluginException;
import dev.jnbdkit.spi.ZeroMode;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * nbdkit-checkwrite-filter: every write-like request becomes a check that the plugin already holds
 * what the client writes (zero and trim: zeroes), EIO if not. The plugin is opened read-only and
 * never written; flush and FUA have nothing to do. Sparseness is ignored: a zero request over
 * data that happens to be zero passes.
 */
public final class CheckWriteFilter implements Filter {
    /** How much of the plugin one check reads at a time (bounds the memory of a huge zero request). */
    private static final long CHUNK = 1 << 20;
    private static final String MISMATCH = "data written does not match expected";

    @Override public String name() { return "checkwrite"; }

    @Override public String longname() { return "nbdkit checkwrite filter"; }

    @Override public FilterHandle open(FilterContext context, OpenContext request) {
        context.open(true, request.exportName());
        return new Handle();
    }

    private static final class Handle implements FilterHandle {
        @Override public boolean canWrite(Next next) { return true; }

        @Override public boolean canFlush(Next next) { return true; }

        @Override public FuaMode canFua(Next next) { return FuaMode.NATIVE; }

        @Override public boolean canTrim(Next next) { return true; }

        @Override public ZeroMode canZero(Next next) { return ZeroMode.NATIVE; }

        /** Advertised, but a check is never fast: every fast zero fails with ENOTSUP (as nbdkit). */
        @Override public boolean canFastZero(Next next) { return true; }

        /** Checks do not change anything, so any number of connections see the same data. */
        @Override public boolean canMultiConn(Next next) { return true; }

        @Override public void pwrite(Next next, IoBuffer buf, long offset, int flags) {
            MemorySegment wanted = buf.segment();
            long n = wanted.byteSize();
            for (long done = 0; done < n; done += CHUNK) {
                long len = Math.min(CHUNK, n - done);
                IoBuffer held = IoBuffer.allocate(len);
                next.pread(held, offset + done, 0);
                if (MemorySegment.mismatch(held.segment(), 0, len, wanted, done, done + len) >= 0) {
                    throw new PluginException(Errno.EIO, MISMATCH);
                }
            }
        }

        @Override public void flush(Next next, int flags) {}

        @Override public void trim(Next next, long count, long offset, int flags) { checkZero(next, count, offset); }

        @Override public void zero(Next next, long count, long offset, int flags) {
            if ((flags & Flags.FAST_ZERO) != 0) throw new PluginException(Errno.ENOTSUP, null); // no log line, as nbdkit
            checkZero(next, count, offset);
        }

        /** Fails with EIO unless every byte of the range reads as zero; extents marked zero are not read. */
        private static void checkZero(Next next, long count, long offset) {
            if (!next.canExtents()) {
                readZero(next, count, offset);
                return;
            }
            for (Extents.Entry e : Extents.full(next, count, offset, 0).entries()) {
                long from = Math.max(e.offset(), offset);
                long to = Math.min(e.end(), offset + count);
                if ((e.type() & Extent.ZERO) == 0 && to > from) readZero(next, to - from, from);
            }
        }

        private static void readZero(Next next, long count, long offset) {
            for (long done = 0; done < count; done += CHUNK) {
                long len = Math.min(CHUNK, count - done);
                IoBuffer held = IoBuffer.allocate(len);
                next.pread(held, offset + done, 0);
                if (!isZero(held.segment())) throw new PluginException(Errno.EIO, MISMATCH);
            }
        }
    }

    private static boolean isZero(MemorySegment s) {
        long n = s.byteSize();
        long i = 0;
        for (; i + 8 <= n; i += 8) if (s.get(ValueLayout.JAVA_LONG_UNALIGNED, i) != 0) return false;
        for (; i < n; i++) if (s.get(ValueLayout.JAVA_BYTE, i) != 0) return false;
        return true;
    }
}
