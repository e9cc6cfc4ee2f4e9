package example;

import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.Filter;
import dev.jnbdkit.spi.FilterContext;
import dev.jnbdkit.spi.FilterHandle;
import dev.jnbdkit.spi.IoBuffer;
import dev.jnbdkit.spi.Next;
import dev.jnbdkit.spi.NextBackend;
import dev.jnbdkit.spi.OpenContext;
import dev.jnbdkit.spi.PluginException;
import dev.jnbdkit.spi.ZeroMode;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * An example filter: every byte is stored XORed with a key ({@code xor-key=0x5a}), so the plugin
 * below holds scrambled data and the client sees the original.
 *
 * <pre>
 *   jnbdkit --filter=examples/java/xor-filter.jar memory 1M xor-key=0x5a
 * </pre>
 *
 * What it shows: consuming its own parameter and passing the others on; transforming reads after
 * the next layer fills the buffer, and writes in a copy (the client's buffer must not change);
 * and telling the server what the transformation breaks: a zeroed range below would read back
 * as the key here, so zeroing is emulated (the server writes zeros through this filter's pwrite),
 * trimming and extents are switched off. Everything else passes through by the SPI's defaults.
 */
public final class XorFilter implements Filter {
    private volatile byte key = (byte) 0x5a;

    @Override public String name() { return "xor"; }

    @Override public String longname() { return "example XOR filter"; }

    @Override public String configHelp() { return "xor-key=<BYTE>    The key every byte is XORed with (default 0x5a)."; }

    @Override
    public void config(NextBackend next, String key, String value) {
        if (!key.equals("xor-key")) {
            next.config(key, value);
            return;
        }
        try {
            int k = Integer.decode(value);
            if (k < 0 || k > 255) throw new NumberFormatException();
            this.key = (byte) k;
        } catch (NumberFormatException e) {
            throw new PluginException(Errno.EINVAL, "xor-key: expected a byte (0..255, decimal or 0x..), got '" + value + "'");
        }
    }

    @Override
    public FilterHandle open(FilterContext context, OpenContext request) {
        context.open(request.readonly(), request.exportName());
        byte k = key;
        return new FilterHandle() {
            @Override public ZeroMode canZero(Next next) { return next.canWrite() ? ZeroMode.EMULATE : ZeroMode.NONE; }

            @Override public boolean canFastZero(Next next) { return false; }

            @Override public boolean canTrim(Next next) { return false; }

            @Override public boolean canExtents(Next next) { return false; }

            @Override
            public void pread(Next next, IoBuffer buf, long offset, int flags) {
                next.pread(buf, offset, flags);
                xor(buf.segment(), k);
            }

            @Override
            public void pwrite(Next next, IoBuffer buf, long offset, int flags) {
                IoBuffer copy = IoBuffer.allocate(buf.length());
                copy.segment().copyFrom(buf.segment());
                xor(copy.segment(), k);
                next.pwrite(copy, offset, flags);
            }
        };
    }

    private static void xor(MemorySegment s, byte k) {
        for (long i = 0; i < s.byteSize(); i++) {
            s.set(ValueLayout.JAVA_BYTE, i, (byte) (s.get(ValueLayout.JAVA_BYTE, i) ^ k));
        }
    }
}
