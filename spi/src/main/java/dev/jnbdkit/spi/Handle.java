package dev.jnbdkit.spi;

import java.lang.foreign.MemorySegment;

/**
 * One client connection's view of a plugin: the per-connection callbacks of nbdkit-plugin(3),
 * returned by {@link Plugin#open}.
 *
 * <p>The {@code can*} methods are asked once per connection, after open. Their defaults are
 * nbdkit's for a plugin that lacks the matching data callback, so a read-only plugin implements
 * only {@link #getSize} and {@link #pread}; a plugin that implements {@link #pwrite} must also
 * answer true from {@link #canWrite} (and likewise for flush, trim, zero, extents, cache).
 *
 * <p>Data callbacks report failure by throwing {@link PluginException}. Any other exception is
 * treated as EIO.
 */
public interface Handle {

    /** The client disconnected; free per-connection resources. */
    default void close() {}

    /** Description for NBD_INFO_DESCRIPTION, or null. */
    default String exportDescription() { return null; }

    /** Size of the export in bytes. */
    long getSize();

    /** Block-size constraints to advertise, or null for none. */
    default BlockSize blockSize() { return null; }

    default boolean isRotational() { return false; }

    /** True if the plugin is consistent across connections (flush on one is seen by all). */
    default boolean canMultiConn() { return false; }

    default boolean canWrite() { return false; }

    default boolean canFlush() { return false; }

    /** Is FUA advertised, and who does it: see {@link FuaMode}. Default: EMULATE if flush works. */
    default FuaMode canFua() { return canFlush() ? FuaMode.EMULATE : FuaMode.NONE; }

    default boolean canTrim() { return false; }

    /** True if {@link #zero} is efficient; when false the server writes zeros itself. */
    default boolean canZero() { return false; }

    /**
     * True if FAST_ZERO is advertised. Default, as nbdkit: true when {@link #canZero} is false,
     * because the server then fails fast-zero requests at once instead of writing zeros.
     */
    default boolean canFastZero() { return !canZero(); }

    default boolean canExtents() { return false; }

    default CacheMode canCache() { return CacheMode.NONE; }

    /** Read {@code buf.length()} bytes at {@code offset} into {@code buf}. Flags: none defined. */
    void pread(IoBuffer buf, long offset, int flags);

    /**
     * True if {@link #preadViews} may give views of the plugin's memory: the capability is
     * declared, never guessed. Asked once per connection.
     */
    default boolean offersReadViews() { return false; }

    /** True if {@link #pwriteViews} may give views (asked once per connection, when writable). */
    default boolean offersWriteViews() { return false; }

    /**
     * Optional, for plugins whose data already lives in native memory: the {@code count} bytes at
     * {@code offset} as read-only views of that memory, in order, which the server sends to the
     * client as they are instead of first copying them into a request buffer through
     * {@link #pread}. Null (the default) means: use {@link #pread}.
     *
     * <p>The views must stay valid while anything references them: memory freed by the garbage
     * collector (an automatic arena), never memory freed explicitly. They show the memory when it
     * is sent, not when this returns, so a write that overlaps a read still in flight may show
     * through; the NBD protocol leaves overlapping requests in flight unordered anyway. Flags:
     * none defined. Only called when {@link #offersReadViews} is true, and only when no filter
     * stands between the plugin and the client.
     */
    default MemorySegment[] preadViews(long count, long offset, int flags) { return null; }

    /**
     * Optional, the counterpart of {@link #preadViews} for writes: writable views of the native
     * memory that holds the {@code count} bytes at {@code offset}, in order, into which the server
     * reads the write's data straight from the client, instead of reading it into a request
     * buffer and calling {@link #pwrite}. Null (the default) means: use {@link #pwrite}.
     *
     * <p>The data lands while it arrives, so the plugin must be one where that is all a write is
     * (no checksums, journals or write-through to elsewhere). If the client vanishes mid-payload,
     * part of the range holds new data: the write was never acknowledged, and NBD promises
     * nothing about unacknowledged writes. FUA is handled as for {@link #pwrite}: with
     * {@link FuaMode#EMULATE} the server flushes after the data is in. Flags: {@link Flags#FUA}
     * when FuaMode is NATIVE. Only called when {@link #offersWriteViews} is true, no filter stands
     * in front of the plugin and the thread model is parallel (the data lands outside any lock).
     */
    default MemorySegment[] pwriteViews(long count, long offset, int flags) { return null; }

    /** Write {@code buf} at {@code offset}. Flags: {@link Flags#FUA} when FuaMode is NATIVE. */
    default void pwrite(IoBuffer buf, long offset, int flags) {
        throw new PluginException(Errno.EROFS, "pwrite not supported");
    }

    default void flush(int flags) {
        throw new PluginException(Errno.EINVAL, "flush not supported");
    }

    /** Punch a hole. Flags: {@link Flags#FUA}. */
    default void trim(long count, long offset, int flags) {
        throw new PluginException(Errno.EINVAL, "trim not supported");
    }

    /**
     * Make the range read as zeros. Flags: {@link Flags#MAY_TRIM}, {@link Flags#FUA},
     * {@link Flags#FAST_ZERO}. Throwing with ENOTSUP/EOPNOTSUPP makes the server fall back to
     * writing zeros (unless FAST_ZERO was asked).
     */
    default void zero(long count, long offset, int flags) {
        throw new PluginException(Errno.ENOTSUP, "zero not supported");
    }

    /** Report the allocation status from {@code offset} on; see {@link ExtentSink}. */
    default void extents(long count, long offset, int flags, ExtentSink extents) {
        extents.add(offset, count, Extent.DATA);
    }

    /** Prefetch the range. */
    default void cache(long count, long offset, int flags) {}
}
