package dev.jnbdkit.filters.cache;

import dev.jnbdkit.filters.common.ReadPolicy;
import dev.jnbdkit.filters.common.TempStore;
import dev.jnbdkit.log.Log;
import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.Filter;
import dev.jnbdkit.spi.FilterContext;
import dev.jnbdkit.spi.FilterHandle;
import dev.jnbdkit.spi.NextBackend;
import dev.jnbdkit.spi.Numbers;
import dev.jnbdkit.spi.OpenContext;
import dev.jnbdkit.spi.PluginException;
import dev.jnbdkit.spi.Sizes;
import dev.jnbdkit.spi.ThreadModel;

/**
 * nbdkit-cache-filter: a block cache in front of a slow plugin, in an unlinked sparse temporary
 * file in {@code $TMPDIR} (default /var/tmp), shared by every connection. Parameters:
 * {@code cache=writeback|writethrough|unsafe}, {@code cache-min-block-size} (power of two, at
 * least 4096; the block size is the larger of it and the file system's), {@code cache-max-size}
 * with {@code cache-high-threshold}/{@code cache-low-threshold} (percentages, default 95/80),
 * {@code cache-on-read} (boolean or /PATH). Thread model: parallel (the cache locks per block).
 */
public final class CacheFilter implements Filter {
    static final long DEFAULT_MIN_BLOCK_SIZE = 64 * 1024;

    private CacheMode mode = CacheMode.WRITEBACK;
    private long minBlockSize = DEFAULT_MIN_BLOCK_SIZE;
    private long maxSize = -1;
    private long highPercent = 95, lowPercent = 80;
    private ReadPolicy onRead = ReadPolicy.OFF;
    private TempStore store;
    private long blockSize;
    private Cache cache;

    @Override public String name() { return "cache"; }

    @Override public String longname() { return "nbdkit caching filter"; }

    @Override
    public String configHelp() {
        return """
                cache=MODE                Set cache MODE, one of writeback (default),
                                          writethrough, or unsafe.
                cache-on-read=BOOL|/PATH  Set to true to cache on reads (default false).
                cache-max-size=SIZE       Set maximum space used by cache.
                cache-high-threshold=PCT  Percentage of max size where reclaim begins.
                cache-low-threshold=PCT   Percentage of max size where reclaim ends.""";
    }

    @Override
    public void config(NextBackend next, String key, String value) {
        switch (key) {
            case "cache" -> mode = CacheMode.parse(value);
            case "cache-min-block-size" -> minBlockSize = parseMinBlockSize(value);
            case "cache-max-size" -> {
                long n = Sizes.parse(value);
                // A floor that keeps the reclaim thresholds meaningful (nbdkit's).
                if (n < 1024 * 1024) throw new PluginException(Errno.EINVAL, "cache-max-size is too small");
                maxSize = n;
            }
            case "cache-high-threshold" -> highPercent = parsePercent(key, value);
            case "cache-low-threshold" -> lowPercent = parsePercent(key, value);
            case "cache-on-read" -> onRead = ReadPolicy.parse(value);
            default -> next.config(key, value);
        }
    }

    static long parseMinBlockSize(String value) {
        long n = Sizes.parse(value);
        if (n < 4096 || n > 0xffffffffL || Long.bitCount(n) != 1) {
            throw new PluginException(Errno.EINVAL, "cache-min-block-size is not a power of 2, or is too small or too large");
        }
        return n;
    }

    private static long parsePercent(String key, String value) {
        long n = Numbers.parseUnsigned(key, value);
        if (n == 0) throw new PluginException(Errno.EINVAL, key + " must be greater than zero");
        return n;
    }

    @Override
    public void configComplete(NextBackend next) {
        // The thresholds matter only with a maximum size (nbdkit checks them only then).
        if (maxSize >= 0 && lowPercent >= highPercent) {
            throw new PluginException(Errno.EINVAL, "cache-low-threshold must be less than cache-high-threshold");
        }
        next.configComplete();
    }

    @Override public ThreadModel threadModel() { return ThreadModel.PARALLEL; }

    @Override
    public void getReady(ThreadModel threadModel) {
        Log.debug("cache: temporary directory for cache: " + TempStore.directory());
        store = TempStore.create("cache");
        blockSize = Math.max(minBlockSize, store.fileSystemBlockSize());
        Log.debug("cache: block size: " + blockSize);
    }

    @Override
    public synchronized void cleanup(NextBackend backend) {
        if (store != null) store.close();
        store = null;
        cache = null;
    }

    @Override
    public FilterHandle open(FilterContext context, OpenContext request) {
        context.open(request.readonly(), request.exportName());
        return new CacheHandle(this);
    }

    CacheMode mode() { return mode; }

    long blockSize() { return blockSize; }

    /** The cache for a plugin of {@code size} bytes, made by the first connection; the size must not change. */
    synchronized Cache cache(long size) {
        if (cache == null) {
            if (store == null) throw new PluginException(Errno.EIO, "cache: the cache is closed");
            cache = new Cache(store, blockSize, size, mode, onRead, maxSize, highPercent, lowPercent);
        } else if (cache.size() != size) {
            throw new PluginException(Errno.EIO, "cache: the underlying plugin's size changed from "
                    + cache.size() + " to " + size + " bytes; it must not be resized");
        }
        return cache;
    }
}
