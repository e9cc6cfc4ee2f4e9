package dev.jnbdkit.filters.protect;

import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.Filter;
import dev.jnbdkit.spi.FilterContext;
import dev.jnbdkit.spi.FilterHandle;
import dev.jnbdkit.spi.IoBuffer;
import dev.jnbdkit.spi.Next;
import dev.jnbdkit.spi.NextBackend;
import dev.jnbdkit.spi.OpenContext;
import dev.jnbdkit.spi.PluginException;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * nbdkit-protect-filter: writes, zeroes and trims that would change a protected byte fail with
 * EPERM; those that leave protected bytes as they are pass. Reads are never affected. The check
 * reads the protected part from the plugin, so it costs one read per protected range touched.
 */
public final class ProtectFilter implements Filter {
    private final ProtectedRanges ranges = new ProtectedRanges();

    @Override public String name() { return "protect"; }

    @Override public String longname() { return "nbdkit protect filter"; }

    @Override public String configHelp() {
        return "protect=<START>-<END>      Protect range of bytes START-END (inclusive).";
    }

    @Override public void config(NextBackend next, String key, String value) {
        if (key.equals("protect")) ranges.add(value);
        else next.config(key, value);
    }

    @Override public FilterHandle open(FilterContext context, OpenContext request) {
        context.open(request.readonly(), request.exportName());
        return ranges.isEmpty() ? FilterHandle.PASS_THROUGH : new Handle();
    }

    private final class Handle implements FilterHandle {
        @Override public void pwrite(Next next, IoBuffer buf, long offset, int flags) {
            check(next, buf.segment(), buf.length(), offset);
            next.pwrite(buf, offset, flags);
        }

        @Override public void zero(Next next, long count, long offset, int flags) {
            check(next, null, count, offset);
            next.zero(count, offset, flags);
        }

        @Override public void trim(Next next, long count, long offset, int flags) {
            check(next, null, count, offset);
            next.trim(count, offset, flags);
        }

        /** Fails with EPERM if writing {@code data} (null: zeroes) would change a protected byte. */
        private void check(Next next, MemorySegment data, long count, long offset) {
            for (ProtectedRanges.Range r : ranges.overlapping(offset, count)) {
                long from = Math.max(offset, r.first());
                long to = Math.min(offset + count - 1, r.last());
                IoBuffer now = IoBuffer.allocate(to - from + 1);
                next.pread(now, from, 0);
                MemorySegment held = now.segment();
                boolean same = data == null
                        ? isZero(held)
                        : MemorySegment.mismatch(held, 0, held.byteSize(), data, from - offset, to - offset + 1) < 0;
                if (!same) {
                    throw new PluginException(Errno.EPERM, "protect filter prevented write to protected range " + r.text());
                }
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
