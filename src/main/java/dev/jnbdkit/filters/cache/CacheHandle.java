package dev.jnbdkit.filters.cache;

import dev.jnbdkit.spi.BlockSize;
import dev.jnbdkit.spi.CacheMode;
import dev.jnbdkit.spi.ExtentSink;
import dev.jnbdkit.spi.FilterHandle;
import dev.jnbdkit.spi.FuaMode;
import dev.jnbdkit.spi.IoBuffer;
import dev.jnbdkit.spi.Next;
import dev.jnbdkit.spi.ZeroMode;

/**
 * One connection of the cache filter. Trim goes straight to the plugin (the cache keeps what it
 * has: a trimmed range's contents are unspecified anyway).
 */
final class CacheHandle implements FilterHandle {
    private static final long MAX_PREFERRED = 32L << 20;

    private final CacheFilter filter;
    private volatile Cache cache;

    CacheHandle(CacheFilter filter) { this.filter = filter; }

    @Override
    public void prepare(Next next, boolean readonly) {
        cache = filter.cache(next.getSize());
    }

    private Cache cache(Next next) {
        Cache c = cache;
        return c != null ? c : (cache = filter.cache(next.getSize()));
    }

    @Override
    public BlockSize blockSize(Next next) {
        BlockSize below = next.blockSize();
        long preferred = Math.max(filter.blockSize(), below == null ? 0 : below.preferred());
        return new BlockSize(1, Math.min(preferred, MAX_PREFERRED), 0xffffffffL);
    }

    /**
     * Unsafe mode accepts flushes (and ignores them); writeback mode needs them to write dirty
     * blocks back, even over a plugin that has no flush of its own; writethrough has nothing to
     * write back and answers as the plugin.
     */
    @Override
    public boolean canFlush(Next next) {
        return filter.mode() != dev.jnbdkit.filters.cache.CacheMode.WRITETHROUGH || next.canFlush();
    }

    @Override
    public FuaMode canFua(Next next) {
        return filter.mode() == dev.jnbdkit.filters.cache.CacheMode.UNSAFE ? FuaMode.NATIVE : next.canFua();
    }

    @Override public ZeroMode canZero(Next next) { return ZeroMode.NATIVE; }

    @Override public boolean canFastZero(Next next) { return true; }

    @Override public CacheMode canCache(Next next) { return CacheMode.NATIVE; }

    @Override
    public void pread(Next next, IoBuffer buf, long offset, int flags) {
        cache(next).read(next, buf, offset);
    }

    @Override
    public void pwrite(Next next, IoBuffer buf, long offset, int flags) {
        cache(next).write(next, buf, offset, flags);
    }

    @Override
    public void zero(Next next, long count, long offset, int flags) {
        cache(next).zero(next, count, offset, flags);
    }

    @Override
    public void flush(Next next, int flags) {
        cache(next).flush(next);
    }

    @Override
    public void extents(Next next, long count, long offset, int flags, ExtentSink extents) {
        cache(next).extents(next, count, offset, flags, extents);
    }

    @Override
    public void cache(Next next, long count, long offset, int flags) {
        cache(next).prefetch(next, count, offset);
    }
}
