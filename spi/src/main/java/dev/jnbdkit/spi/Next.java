package dev.jnbdkit.spi;

/**
 * The next layer of one connection, as a filter sees it (nbdkit's {@code nbdkit_next}): the next
 * filter or the plugin, the same type whatever it is.
 *
 * <p>Answers of the {@code can*} methods, {@link #getSize} and {@link #blockSize} are asked of the
 * layer once and cached. Data calls take nbdkit's int {@link Flags} and report failure by throwing
 * {@link PluginException} with the errno for the client. As in nbdkit, a call must respect what
 * the layer advertised: no {@link #pwrite} unless {@link #canWrite}, no {@link Flags#FUA} unless
 * {@link #canFua} is not NONE, no {@link #zero} when {@link #canZero} is NONE, and so on; ranges
 * must lie within {@link #getSize}. A call that breaks those rules fails with EINVAL.
 *
 * <p>{@link #zero} never fails with ENOTSUP unless {@link Flags#FAST_ZERO} was given: the fall
 * back to writing zeros has already happened beneath.
 */
public interface Next {
    /** The export name this context was opened with. */
    String exportName();

    long getSize();

    /** Description for NBD_INFO_DESCRIPTION, or null. */
    String exportDescription();

    /** Block-size constraints, or null for none. */
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

    /**
     * Reports the allocation status of the range to {@code extents}, from {@code offset} on, in
     * order; a layer without extents reports the whole range as data.
     */
    void extents(long count, long offset, int flags, ExtentSink extents);

    void cache(long count, long offset, int flags);

    /**
     * Manual contexts only (from {@link NextBackend#openContext}): get the context ready for data
     * calls (nbdkit's {@code next->prepare}). Contexts opened through {@link FilterContext#open}
     * are prepared by the server.
     */
    void prepareContext();

    /** Manual contexts only: the counterpart of {@link #prepareContext} (nbdkit's {@code next->finalize}). */
    void finalizeContext();

    /** Manual contexts only: close the context (nbdkit_next_context_close). */
    void closeContext();
}
