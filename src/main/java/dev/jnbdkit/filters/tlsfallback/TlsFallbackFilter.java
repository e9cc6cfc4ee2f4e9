package dev.jnbdkit.filters.tlsfallback;

import dev.jnbdkit.spi.BlockSize;
import dev.jnbdkit.spi.CacheMode;
import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.Export;
import dev.jnbdkit.spi.Filter;
import dev.jnbdkit.spi.FilterContext;
import dev.jnbdkit.spi.FilterHandle;
import dev.jnbdkit.spi.FuaMode;
import dev.jnbdkit.spi.IoBuffer;
import dev.jnbdkit.spi.Next;
import dev.jnbdkit.spi.NextBackend;
import dev.jnbdkit.spi.OpenContext;
import dev.jnbdkit.spi.PluginException;
import dev.jnbdkit.spi.ThreadModel;
import dev.jnbdkit.spi.ZeroMode;

import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * nbdkit-tls-fallback-filter: a plaintext client gets one read-only 512-byte export holding a
 * message ({@code tlsreadme}), whatever name it asked for; the layers below are never opened for
 * it. Clients that negotiated TLS pass through.
 */
public final class TlsFallbackFilter implements Filter {
    private byte[] message = text("This NBD server requires TLS authentication before it will serve useful data.\n");

    private static byte[] text(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        byte[] padded = new byte[Math.max(512, (b.length + 511) / 512 * 512)];
        System.arraycopy(b, 0, padded, 0, b.length);
        return padded;
    }

    @Override public String name() { return "tls-fallback"; }

    @Override public String longname() { return "nbdkit tls-fallback filter"; }

    @Override
    public String configHelp() { return "tlsreadme=<MESSAGE>  Alternative contents for the plaintext dummy export."; }

    @Override
    public void config(NextBackend next, String key, String value) {
        if (key.equals("tlsreadme")) message = text(value);
        else next.config(key, value);
    }

    @Override
    public void getReady(ThreadModel threadModel) {
        if (threadModel == ThreadModel.SERIALIZE_CONNECTIONS) {
            throw new PluginException(Errno.EINVAL, "the tls-fallback filter requires parallel connection support");
        }
    }

    @Override
    public List<Export> listExports(NextBackend next, boolean readonly, boolean isTls) {
        return isTls ? next.listExports(readonly, isTls) : List.of(Export.named(""));
    }

    @Override
    public String defaultExport(NextBackend next, boolean readonly, boolean isTls) {
        return isTls ? next.defaultExport(readonly, isTls) : "";
    }

    @Override
    public FilterHandle open(FilterContext context, OpenContext request) {
        if (!request.isTls()) return new Readme(message);
        context.open(request.readonly(), request.exportName());
        return FilterHandle.PASS_THROUGH;
    }

    /** The plaintext client's export: the message, read-only, nothing else. */
    private record Readme(byte[] message) implements FilterHandle {
        @Override public long getSize(Next next) { return message.length; }
        @Override public String exportDescription(Next next) { return null; }
        @Override public BlockSize blockSize(Next next) { return null; }
        @Override public boolean isRotational(Next next) { return false; }
        @Override public boolean canWrite(Next next) { return false; }
        @Override public boolean canFlush(Next next) { return false; }
        @Override public boolean canTrim(Next next) { return false; }
        @Override public ZeroMode canZero(Next next) { return ZeroMode.NONE; }
        @Override public boolean canFastZero(Next next) { return false; }
        @Override public boolean canExtents(Next next) { return false; }
        @Override public FuaMode canFua(Next next) { return FuaMode.NONE; }
        @Override public boolean canMultiConn(Next next) { return false; }
        @Override public CacheMode canCache(Next next) { return CacheMode.NONE; }

        @Override
        public void pread(Next next, IoBuffer buf, long offset, int flags) {
            MemorySegment.copy(MemorySegment.ofArray(message), offset, buf.segment(), 0, buf.length());
        }
    }
}
