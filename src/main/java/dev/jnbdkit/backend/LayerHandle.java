package dev.jnbdkit.backend;

import dev.jnbdkit.spi.BlockSize;
import dev.jnbdkit.spi.CacheMode;
import dev.jnbdkit.spi.ExtentSink;
import dev.jnbdkit.spi.FuaMode;
import dev.jnbdkit.spi.IoBuffer;
import dev.jnbdkit.spi.ZeroMode;

import java.lang.foreign.MemorySegment;

/**
 * One layer's per-connection callbacks as its {@link Context} calls them, the same shape for a
 * plugin ({@link PluginHandle}) and a filter ({@link FilterLayerHandle}): three-valued answers,
 * nbdkit's int flags, failures as exceptions. No caching, checking or emulation here: that is
 * the context's, written once for every layer.
 */
interface LayerHandle {
    long getSize();

    String exportDescription();

    BlockSize blockSize();

    boolean isRotational();

    boolean canWrite();

    boolean canFlush();

    boolean canTrim();

    ZeroMode canZero();

    boolean canFastZero();

    boolean canExtents();

    FuaMode canFua();

    boolean canMultiConn();

    CacheMode canCache();

    void pread(IoBuffer buf, long offset, int flags);

    void pwrite(IoBuffer buf, long offset, int flags);

    void flush(int flags);

    void trim(long count, long offset, int flags);

    void zero(long count, long offset, int flags);

    void extents(long count, long offset, int flags, ExtentSink extents);

    void cache(long count, long offset, int flags);

    /** Zero-copy reads: only a plugin can offer them, and only when it says so. */
    default boolean offersReadViews() { return false; }

    default boolean offersWriteViews() { return false; }

    default MemorySegment[] preadViews(long count, long offset, int flags) { return null; }

    default MemorySegment[] pwriteViews(long count, long offset, int flags) { return null; }

    /** A write's data has landed in the views {@link #pwriteViews} gave: finish it (FUA). */
    default void viewsWritten(int flags) {}

    /** The context of the next layer this one currently uses, or null (a plugin; a filter without one). */
    default Context next() { return null; }

    void prepare(boolean readonly);

    void finalizeConnection();

    void close();
}
