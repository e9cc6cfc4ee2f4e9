package dev.jnbdkit.backend;

import dev.jnbdkit.spi.BlockSize;
import dev.jnbdkit.spi.CacheMode;
import dev.jnbdkit.spi.ExtentSink;
import dev.jnbdkit.spi.Flags;
import dev.jnbdkit.spi.FuaMode;
import dev.jnbdkit.spi.Handle;
import dev.jnbdkit.spi.IoBuffer;
import dev.jnbdkit.spi.ZeroMode;

import java.lang.foreign.MemorySegment;

/**
 * A plugin's handle adapted to the layer shape (nbdkit's server/plugins.c): the yes/no
 * {@code can_zero} becomes {@link ZeroMode#NATIVE} or {@link ZeroMode#EMULATE}, FUA is emulated
 * through flush when the plugin answers {@link FuaMode#EMULATE}, and the zero-copy views the
 * plugin declares are offered.
 */
final class PluginHandle implements LayerHandle {
    private final Handle handle;
    /** The plugin's can_fua answer, known once the context has asked it (before any FUA request). */
    private volatile FuaMode fua = FuaMode.NONE;

    PluginHandle(Handle handle) {
        this.handle = handle;
    }

    @Override public long getSize() { return handle.getSize(); }

    @Override public String exportDescription() { return handle.exportDescription(); }

    @Override public BlockSize blockSize() { return handle.blockSize(); }

    @Override public boolean isRotational() { return handle.isRotational(); }

    @Override public boolean canWrite() { return handle.canWrite(); }

    @Override public boolean canFlush() { return handle.canFlush(); }

    @Override public boolean canTrim() { return handle.canTrim(); }

    @Override public ZeroMode canZero() { return handle.canZero() ? ZeroMode.NATIVE : ZeroMode.EMULATE; }

    @Override public boolean canFastZero() { return handle.canFastZero(); }

    @Override public boolean canExtents() { return handle.canExtents(); }

    @Override
    public FuaMode canFua() {
        FuaMode f = handle.canFua();
        fua = f == null ? FuaMode.NONE : f;
        return fua;
    }

    @Override public boolean canMultiConn() { return handle.canMultiConn(); }

    @Override public CacheMode canCache() { return handle.canCache(); }

    @Override public void pread(IoBuffer buf, long offset, int flags) { handle.pread(buf, offset, flags); }

    @Override
    public void pwrite(IoBuffer buf, long offset, int flags) {
        handle.pwrite(buf, offset, pass(flags));
        afterFua(flags);
    }

    @Override public void flush(int flags) { handle.flush(flags); }

    @Override
    public void trim(long count, long offset, int flags) {
        handle.trim(count, offset, pass(flags));
        afterFua(flags);
    }

    @Override
    public void zero(long count, long offset, int flags) {
        handle.zero(count, offset, pass(flags));
        afterFua(flags);
    }

    @Override
    public void extents(long count, long offset, int flags, ExtentSink extents) {
        handle.extents(count, offset, flags, extents);
    }

    @Override public void cache(long count, long offset, int flags) { handle.cache(count, offset, flags); }

    @Override public boolean offersReadViews() { return handle.offersReadViews(); }

    @Override public boolean offersWriteViews() { return handle.offersWriteViews(); }

    @Override
    public MemorySegment[] preadViews(long count, long offset, int flags) {
        return handle.preadViews(count, offset, flags);
    }

    @Override
    public MemorySegment[] pwriteViews(long count, long offset, int flags) {
        return handle.pwriteViews(count, offset, pass(flags));
    }

    @Override public void viewsWritten(int flags) { afterFua(flags); }

    @Override public void prepare(boolean readonly) {}

    @Override public void finalizeConnection() {}

    @Override public void close() { handle.close(); }

    /** The flags the plugin sees: FUA only when it does FUA itself. */
    private int pass(int flags) {
        return fua == FuaMode.NATIVE ? flags : flags & ~Flags.FUA;
    }

    /** FUA emulated: the data is written, now make it stable. */
    private void afterFua(int flags) {
        if (Flags.has(flags, Flags.FUA) && fua == FuaMode.EMULATE) handle.flush(0);
    }
}
