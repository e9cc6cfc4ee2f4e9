package dev.jnbdkit.backend;

import dev.jnbdkit.spi.BlockSize;
import dev.jnbdkit.spi.CacheMode;
import dev.jnbdkit.spi.ExtentSink;
import dev.jnbdkit.spi.FilterContext;
import dev.jnbdkit.spi.FilterHandle;
import dev.jnbdkit.spi.FuaMode;
import dev.jnbdkit.spi.IoBuffer;
import dev.jnbdkit.spi.Next;
import dev.jnbdkit.spi.NextBackend;
import dev.jnbdkit.spi.ZeroMode;

/**
 * A filter's handle adapted to the layer shape (nbdkit's server/filters.c): each call goes to the
 * filter with the next layer's context, which the filter may have replaced
 * ({@link FilterContext#setNext}). This is also the filter's {@link FilterContext} during open.
 */
final class FilterLayerHandle implements LayerHandle, FilterContext {
    private final Layer next;
    private final NextBackend backend;
    private final boolean isTls;
    private FilterHandle fh = FilterHandle.PASS_THROUGH;
    /** The next layer's context for this connection, or null if the filter opened none. */
    private volatile Context nextContext;

    FilterLayerHandle(Layer next, NextBackend backend, boolean isTls) {
        this.next = next;
        this.backend = backend;
        this.isTls = isTls;
    }

    void setHandle(FilterHandle fh) { this.fh = fh; }

    // ---- FilterContext ----------------------------------------------------------------------

    @Override
    public Next open(boolean readonly, String exportName) {
        if (nextContext != null) throw new IllegalStateException("the next layer is already open for this connection");
        Context c = next.open(readonly, exportName, isTls);
        nextContext = c;
        return c;
    }

    @Override public NextBackend backend() { return backend; }

    @Override
    public Next setNext(Next n) {
        if (n != null && !(n instanceof Context)) throw new IllegalArgumentException("not a context of the next layer");
        Context previous = nextContext;
        nextContext = (Context) n;
        return previous;
    }

    @Override public Context next() { return nextContext; }

    private Next n() { return nextContext; }

    // ---- LayerHandle --------------------------------------------------------------------------

    @Override public long getSize() { return fh.getSize(n()); }

    @Override public String exportDescription() { return fh.exportDescription(n()); }

    @Override public BlockSize blockSize() { return fh.blockSize(n()); }

    @Override public boolean isRotational() { return fh.isRotational(n()); }

    @Override public boolean canWrite() { return fh.canWrite(n()); }

    @Override public boolean canFlush() { return fh.canFlush(n()); }

    @Override public boolean canTrim() { return fh.canTrim(n()); }

    @Override public ZeroMode canZero() { return fh.canZero(n()); }

    @Override public boolean canFastZero() { return fh.canFastZero(n()); }

    @Override public boolean canExtents() { return fh.canExtents(n()); }

    @Override public FuaMode canFua() { return fh.canFua(n()); }

    @Override public boolean canMultiConn() { return fh.canMultiConn(n()); }

    @Override public CacheMode canCache() { return fh.canCache(n()); }

    @Override public void pread(IoBuffer buf, long offset, int flags) { fh.pread(n(), buf, offset, flags); }

    @Override public void pwrite(IoBuffer buf, long offset, int flags) { fh.pwrite(n(), buf, offset, flags); }

    @Override public void flush(int flags) { fh.flush(n(), flags); }

    @Override public void trim(long count, long offset, int flags) { fh.trim(n(), count, offset, flags); }

    @Override public void zero(long count, long offset, int flags) { fh.zero(n(), count, offset, flags); }

    @Override
    public void extents(long count, long offset, int flags, ExtentSink extents) {
        fh.extents(n(), count, offset, flags, extents);
    }

    @Override public void cache(long count, long offset, int flags) { fh.cache(n(), count, offset, flags); }

    @Override public void prepare(boolean readonly) { fh.prepare(n(), readonly); }

    @Override public void finalizeConnection() { fh.finalize(n()); }

    @Override public void close() { fh.close(); }
}
