package dev.jnbdkit.spi;

/**
 * One connection's view of a filter (the per-connection callbacks of nbdkit-filter(3)). Each
 * method receives the next layer and by default passes the call on unchanged, so a filter
 * overrides only what it changes. Answers of the {@code can*} methods, {@link #getSize} and
 * {@link #blockSize} are asked once per connection and cached by the server.
 *
 * <p>Rules from nbdkit: {@link #pwrite}, {@link #trim}, {@link #flush}, {@link #zero},
 * {@link #extents} and {@link #cache} are only called when this layer advertised them; the flags
 * a filter passes on must be ones the next layer advertised ({@link Flags#FUA} only if its
 * {@link Next#canFua} is not NONE, and so on). {@link #zero} must not fail with ENOTSUP unless
 * {@link Flags#FAST_ZERO} was given.
 */
public interface FilterHandle {
    /** A handle that changes nothing. */
    FilterHandle PASS_THROUGH = new FilterHandle() {};

    /** After every layer below is open and prepared (read-only as given to open). */
    default void prepare(Next next, boolean readonly) {}

    /** Before the connection closes, while the next layer can still be used. */
    default void finalize(Next next) {}

    /** The connection closed; cannot reach the next layer. */
    default void close() {}

    default long getSize(Next next) { return next.getSize(); }

    default String exportDescription(Next next) { return next.exportDescription(); }

    default BlockSize blockSize(Next next) { return next.blockSize(); }

    default boolean isRotational(Next next) { return next.isRotational(); }

    default boolean canWrite(Next next) { return next.canWrite(); }

    default boolean canFlush(Next next) { return next.canFlush(); }

    default boolean canTrim(Next next) { return next.canTrim(); }

    default ZeroMode canZero(Next next) { return next.canZero(); }

    default boolean canFastZero(Next next) { return next.canFastZero(); }

    default boolean canExtents(Next next) { return next.canExtents(); }

    default FuaMode canFua(Next next) { return next.canFua(); }

    default boolean canMultiConn(Next next) { return next.canMultiConn(); }

    default CacheMode canCache(Next next) { return next.canCache(); }

    default void pread(Next next, IoBuffer buf, long offset, int flags) { next.pread(buf, offset, flags); }

    default void pwrite(Next next, IoBuffer buf, long offset, int flags) { next.pwrite(buf, offset, flags); }

    default void flush(Next next, int flags) { next.flush(flags); }

    default void trim(Next next, long count, long offset, int flags) { next.trim(count, offset, flags); }

    default void zero(Next next, long count, long offset, int flags) { next.zero(count, offset, flags); }

    default void extents(Next next, long count, long offset, int flags, ExtentSink extents) {
        next.extents(count, offset, flags, extents);
    }

    default void cache(Next next, long count, long offset, int flags) { next.cache(count, offset, flags); }
}
