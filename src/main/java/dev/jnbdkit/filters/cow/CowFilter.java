package dev.jnbdkit.filters.cow;

import dev.jnbdkit.filters.common.ReadPolicy;
import dev.jnbdkit.filters.common.TempStore;
import dev.jnbdkit.log.Log;
import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.Filter;
import dev.jnbdkit.spi.FilterContext;
import dev.jnbdkit.spi.FilterHandle;
import dev.jnbdkit.spi.NextBackend;
import dev.jnbdkit.spi.OpenContext;
import dev.jnbdkit.spi.PluginException;
import dev.jnbdkit.spi.Sizes;
import dev.jnbdkit.spi.ThreadModel;

/**
 * nbdkit-cow-filter: a writable copy-on-write overlay over a plugin that is only ever opened
 * read-only. Writes, trims and zeroes land in an unlinked sparse temporary file in
 * {@code $TMPDIR} (default /var/tmp) and vanish when the server exits; every connection sees the
 * same overlay. Parameters: {@code cow-block-size} (power of two, 4096..2G, default 64K),
 * {@code cow-on-cache}, {@code cow-on-read} (boolean or /PATH). Thread model: parallel (the
 * overlay locks per block; see {@link Overlay}).
 */
public final class CowFilter implements Filter {
    static final long DEFAULT_BLOCK_SIZE = 64 * 1024;
    static final long MIN_BLOCK_SIZE = 4096;
    static final long MAX_BLOCK_SIZE = 1L << 31;

    private long blockSize = DEFAULT_BLOCK_SIZE;
    private boolean onCache;
    private ReadPolicy onRead = ReadPolicy.OFF;
    private TempStore store;
    private Overlay overlay;

    @Override public String name() { return "cow"; }

    @Override public String longname() { return "nbdkit copy-on-write (COW) filter"; }

    @Override
    public String configHelp() {
        return """
                cow-block-size=<N>       Set COW block size.
                cow-on-cache=<BOOL>      Copy cache (prefetch) requests to the overlay.
                cow-on-read=<BOOL>|/PATH Copy read requests to the overlay.""";
    }

    @Override
    public void config(NextBackend next, String key, String value) {
        switch (key) {
            case "cow-block-size" -> blockSize = parseBlockSize(value);
            case "cow-on-cache" -> onCache = Sizes.parseBool(value);
            case "cow-on-read" -> onRead = ReadPolicy.parse(value);
            default -> next.config(key, value);
        }
    }

    static long parseBlockSize(String value) {
        long n = Sizes.parse(value);
        if (n < MIN_BLOCK_SIZE || n > MAX_BLOCK_SIZE || Long.bitCount(n) != 1) {
            throw new PluginException(Errno.EINVAL, "cow-block-size is out of range (4096..2G) or not a power of 2");
        }
        return n;
    }

    @Override public ThreadModel threadModel() { return ThreadModel.PARALLEL; }

    @Override
    public void getReady(ThreadModel threadModel) {
        Log.debug("cow: temporary directory for overlay: " + TempStore.directory());
        store = TempStore.create("cow");
    }

    @Override
    public void cleanup(NextBackend backend) {
        synchronized (this) {
            if (overlay != null) overlay.close();
            else if (store != null) store.close();
            overlay = null;
            store = null;
        }
    }

    @Override
    public FilterHandle open(FilterContext context, OpenContext request) {
        // The plugin is never written: always open it read-only, whatever the client may do.
        context.open(true, request.exportName());
        return new CowHandle(this);
    }

    long blockSize() { return blockSize; }

    boolean onCache() { return onCache; }

    ReadPolicy onRead() { return onRead; }

    /**
     * The overlay for a plugin of {@code size} bytes, made by the first connection. The plugin
     * must not change size (the page's limitation): a connection that sees another size fails.
     */
    synchronized Overlay overlay(long size) {
        if (overlay == null) {
            if (store == null) throw new PluginException(Errno.EIO, "cow: the overlay is closed");
            Log.debug("cow: underlying file size: " + size);
            overlay = new Overlay(store, blockSize, size);
        } else if (overlay.size() != size) {
            throw new PluginException(Errno.EIO, "cow: the underlying plugin's size changed from "
                    + overlay.size() + " to " + size + " bytes; it must not be resized");
        }
        return overlay;
    }
}
