package dev.jnbdkit.filters.readahead;

import dev.jnbdkit.log.Log;
import dev.jnbdkit.spi.FilterHandle;
import dev.jnbdkit.spi.IoBuffer;
import dev.jnbdkit.spi.Next;
import dev.jnbdkit.spi.PluginException;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * One connection through the readahead filter: each read queues a prefetch of what follows on
 * this connection's background thread, then reads. The thread stops (after the prefetches
 * queued) before the connection's next layer is finalized. A failing prefetch is only logged:
 * the reads themselves will report any real error.
 */
final class ReadaheadHandle implements FilterHandle {
    private final ReadaheadFilter filter;
    private final Window window = new Window();
    private volatile ExecutorService background; // null: inactive

    ReadaheadHandle(ReadaheadFilter filter) { this.filter = filter; }

    @Override
    public void prepare(Next next, boolean readonly) {
        if (filter.active(next.canCache())) {
            background = Executors.newSingleThreadExecutor(r -> Thread.ofPlatform().daemon().name("readahead").unstarted(r));
        }
    }

    @Override
    public void pread(Next next, IoBuffer buf, long offset, int flags) {
        ExecutorService bg = background;
        if (bg != null) {
            long[] range;
            synchronized (window) {
                range = window.afterRead(offset, buf.length(), next.getSize());
            }
            if (range != null) {
                try {
                    bg.execute(() -> prefetch(next, range[0], range[1]));
                } catch (java.util.concurrent.RejectedExecutionException ignored) {
                    // the connection is closing
                }
            }
        }
        next.pread(buf, offset, flags);
    }

    private static void prefetch(Next next, long offset, long count) {
        try {
            next.cache(count, offset, 0);
        } catch (PluginException e) {
            Log.debug("readahead: prefetch of " + count + " bytes at " + offset + " failed");
        }
    }

    @Override
    public void finalize(Next next) {
        ExecutorService bg = background;
        background = null;
        if (bg == null) return;
        bg.shutdown();
        try {
            if (!bg.awaitTermination(60, TimeUnit.SECONDS)) bg.shutdownNow();
        } catch (InterruptedException e) {
            bg.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        ExecutorService bg = background;
        background = null;
        if (bg != null) bg.shutdownNow();
    }
}
