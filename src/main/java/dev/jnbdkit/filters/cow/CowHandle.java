package dev.jnbdkit.filters.cow;

import dev.jnbdkit.spi.BlockSize;
import dev.jnbdkit.spi.CacheMode;
import dev.jnbdkit.spi.ExtentSink;
import dev.jnbdkit.spi.FilterHandle;
import dev.jnbdkit.spi.FuaMode;
import dev.jnbdkit.spi.IoBuffer;
import dev.jnbdkit.spi.Next;
import dev.jnbdkit.spi.ZeroMode;

/**
 * One connection of the cow filter: whatever the plugin can do, this layer can write, flush,
 * trim, zero, report extents, FUA and cache, and it is consistent across connections (one
 * overlay). FUA and flush have nothing to do: the overlay is not meant to outlive the server.
 */
final class CowHandle implements FilterHandle {
    /** The preferred block size a layer may advertise (NBD's limit). */
    private static final long MAX_PREFERRED = 32L << 20;

    private final CowFilter filter;
    private volatile Overlay overlay;

    CowHandle(CowFilter filter) { this.filter = filter; }

    @Override
    public void prepare(Next next, boolean readonly) {
        overlay = filter.overlay(next.getSize());
        // Ask now, so that a later cache request knows what the plugin can do.
        next.canCache();
    }

    private Overlay overlay(Next next) {
        Overlay o = overlay;
        return o != null ? o : (overlay = filter.overlay(next.getSize()));
    }

    @Override
    public BlockSize blockSize(Next next) {
        // Any alignment works (partial blocks are read-modify-written); whole blocks are best.
        BlockSize below = next.blockSize();
        long preferred = Math.max(filter.blockSize(), below == null ? 0 : below.preferred());
        return new BlockSize(1, Math.min(preferred, MAX_PREFERRED), 0xffffffffL);
    }

    @Override public boolean canWrite(Next next) { return true; }

    @Override public boolean canFlush(Next next) { return true; }

    @Override public boolean canTrim(Next next) { return true; }

    @Override public ZeroMode canZero(Next next) { return ZeroMode.NATIVE; }

    @Override public boolean canFastZero(Next next) { return true; }

    @Override public boolean canExtents(Next next) { return true; }

    @Override public FuaMode canFua(Next next) { return FuaMode.NATIVE; }

    @Override public boolean canMultiConn(Next next) { return true; }

    @Override public CacheMode canCache(Next next) { return CacheMode.NATIVE; }

    @Override
    public void pread(Next next, IoBuffer buf, long offset, int flags) {
        overlay(next).read(next, buf, offset, filter.onRead());
    }

    @Override
    public void pwrite(Next next, IoBuffer buf, long offset, int flags) {
        overlay(next).write(next, buf, offset); // FUA: nothing to make durable
    }

    @Override public void flush(Next next, int flags) { }

    @Override
    public void trim(Next next, long count, long offset, int flags) {
        overlay(next).trim(next, count, offset);
    }

    @Override
    public void zero(Next next, long count, long offset, int flags) {
        overlay(next).zero(next, count, offset, flags);
    }

    @Override
    public void extents(Next next, long count, long offset, int flags, ExtentSink extents) {
        overlay(next).extents(next, count, offset, flags, extents);
    }

    @Override
    public void cache(Next next, long count, long offset, int flags) {
        overlay(next).cache(next, count, offset, filter.onCache());
    }
}
