package dev.jnbdkit.filters.readahead;

import dev.jnbdkit.log.Log;
import dev.jnbdkit.spi.CacheMode;
import dev.jnbdkit.spi.Filter;
import dev.jnbdkit.spi.FilterContext;
import dev.jnbdkit.spi.FilterHandle;
import dev.jnbdkit.spi.OpenContext;
import dev.jnbdkit.spi.ThreadModel;

/**
 * nbdkit-readahead-filter: while a client reads sequentially, prefetch (NBD_CMD_CACHE to the
 * layer below) what it will read next, in the background, with a window that doubles on each
 * sequential read and shrinks back on a jump. It does nothing, and says so, when the layer below
 * cannot cache or the thread model is not parallel (the prefetch must run beside the reads).
 */
public final class ReadaheadFilter implements Filter {
    private volatile boolean parallel = true;

    @Override public String name() { return "readahead"; }

    @Override public String longname() { return "nbdkit readahead filter"; }

    @Override public void getReady(ThreadModel threadModel) { parallel = threadModel == ThreadModel.PARALLEL; }

    @Override
    public FilterHandle open(FilterContext context, OpenContext request) {
        context.open(request.readonly(), request.exportName());
        return new ReadaheadHandle(this);
    }

    /** True if prefetching can work for a layer below with this cache mode. */
    boolean active(CacheMode below) {
        if (below != CacheMode.NONE && parallel) return true;
        Log.error("readahead: warning: underlying plugin does not support NBD_CMD_CACHE or PARALLEL thread model, "
                + "so the filter won't do anything");
        return false;
    }
}
