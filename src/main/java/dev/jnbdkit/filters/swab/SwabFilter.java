package dev.jnbdkit.filters.swab;

import dev.jnbdkit.spi.BlockSize;
import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.ExtentSink;
import dev.jnbdkit.spi.Extents;
import dev.jnbdkit.spi.Filter;
import dev.jnbdkit.spi.FilterContext;
import dev.jnbdkit.spi.FilterHandle;
import dev.jnbdkit.spi.IoBuffer;
import dev.jnbdkit.spi.Next;
import dev.jnbdkit.spi.NextBackend;
import dev.jnbdkit.spi.Numbers;
import dev.jnbdkit.spi.OpenContext;
import dev.jnbdkit.spi.PluginException;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * nbdkit-swab-filter: reverses the bytes of every 2-, 4- or 8-byte word (swab-bits=16, 32, 64;
 * 8 turns it off). The size is rounded down to a whole word, requests must be word-aligned
 * (EINVAL otherwise, without a log line, as nbdkit), and the minimum block size advertised is the
 * word, so well-behaved clients align by themselves.
 */
public final class SwabFilter implements Filter {
    private int bytes = 2;

    @Override public String name() { return "swab"; }

    @Override public String longname() { return "nbdkit byte-swapping filter"; }

    @Override public String configHelp() {
        return "swab-bits=8|16|32|64       Size of byte swap (default 16).";
    }

    @Override public void config(NextBackend next, String key, String value) {
        if (!key.equals("swab-bits")) {
            next.config(key, value);
            return;
        }
        int bits = Numbers.parseInt("swab-bits", value);
        if (bits != 8 && bits != 16 && bits != 32 && bits != 64) {
            throw new PluginException(Errno.EINVAL, "invalid swab-bits, must be 8, 16, 32 or 64");
        }
        bytes = bits / 8;
    }

    @Override public FilterHandle open(FilterContext context, OpenContext request) {
        context.open(request.readonly(), request.exportName());
        return new Handle(bytes);
    }

    private record Handle(int word) implements FilterHandle {
        @Override public long getSize(Next next) { return next.getSize() / word * word; }

        @Override public BlockSize blockSize(Next next) {
            BlockSize b = next.blockSize();
            if (b == null) return new BlockSize(word, 512, 0xffffffffL);
            return new BlockSize(Math.max(b.minimum(), word), b.preferred(), b.maximum());
        }

        private void aligned(long count, long offset) {
            if (offset % word != 0 || count % word != 0) throw new PluginException(Errno.EINVAL, null);
        }

        @Override public void pread(Next next, IoBuffer buf, long offset, int flags) {
            aligned(buf.length(), offset);
            next.pread(buf, offset, flags);
            swap(buf.segment());
        }

        @Override public void pwrite(Next next, IoBuffer buf, long offset, int flags) {
            aligned(buf.length(), offset);
            if (word == 1) {
                next.pwrite(buf, offset, flags);
                return;
            }
            IoBuffer swapped = IoBuffer.allocate(buf.length());
            swapped.segment().copyFrom(buf.segment());
            swap(swapped.segment());
            next.pwrite(swapped, offset, flags);
        }

        @Override public void trim(Next next, long count, long offset, int flags) {
            aligned(count, offset);
            next.trim(count, offset, flags);
        }

        @Override public void zero(Next next, long count, long offset, int flags) {
            aligned(count, offset);
            next.zero(count, offset, flags);
        }

        @Override public void cache(Next next, long count, long offset, int flags) {
            aligned(count, offset);
            next.cache(count, offset, flags);
        }

        @Override public void extents(Next next, long count, long offset, int flags, ExtentSink extents) {
            aligned(count, offset);
            if (word == 1) next.extents(count, offset, flags, extents);
            else Extents.aligned(next, count, offset, flags, word).copyTo(extents, 0);
        }

        private void swap(MemorySegment s) {
            long n = s.byteSize();
            switch (word) {
                case 2 -> { for (long i = 0; i < n; i += 2) s.set(ValueLayout.JAVA_SHORT_UNALIGNED, i, Short.reverseBytes(s.get(ValueLayout.JAVA_SHORT_UNALIGNED, i))); }
                case 4 -> { for (long i = 0; i < n; i += 4) s.set(ValueLayout.JAVA_INT_UNALIGNED, i, Integer.reverseBytes(s.get(ValueLayout.JAVA_INT_UNALIGNED, i))); }
                case 8 -> { for (long i = 0; i < n; i += 8) s.set(ValueLayout.JAVA_LONG_UNALIGNED, i, Long.reverseBytes(s.get(ValueLayout.JAVA_LONG_UNALIGNED, i))); }
                default -> { }
            }
        }
    }
}
