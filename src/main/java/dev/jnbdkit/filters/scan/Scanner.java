package dev.jnbdkit.filters.scan;

import dev.jnbdkit.log.Log;
import dev.jnbdkit.spi.Next;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The background thread of one connection: from the starting offset to the end of the disk, one
 * {@code cache} of {@code scan-size} bytes after another. Before each, it takes the client's reads
 * into account (skipping to the end of the furthest one, if that is ahead) and the request to stop;
 * stopping waits for the prefetch in flight, which is never interrupted (the layer below may be
 * doing I/O). A failing prefetch is ignored, as nbdkit ignores it: the reads will report real errors.
 */
final class Scanner {
    private final ScanFilter filter;
    private final Next next;
    private final String logContext = Log.context();
    /** End of the furthest client read not yet seen by the thread (0: none). */
    private final AtomicLong readEnd = new AtomicLong();
    private volatile boolean quit;
    private final Thread thread;

    Scanner(ScanFilter filter, Next next) {
        this.filter = filter;
        this.next = next;
        this.thread = Thread.ofPlatform().daemon().name("scan").unstarted(this::run);
    }

    void start() { thread.start(); }

    /** The client read up to {@code end}. */
    void clientRead(long end) { readEnd.accumulateAndGet(end, Math::max); }

    /** Stops the thread and waits for it. */
    void stop() {
        quit = true;
        if (thread == Thread.currentThread()) return;
        boolean interrupted = false;
        while (true) {
            try {
                thread.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
    }

    private void run() {
        Log.setContext(logContext);
        long size;
        try {
            size = next.getSize();
        } catch (RuntimeException e) {
            return; // nothing can be scanned without the size
        }
        long step = filter.scanSize();
        do {
            for (long offset = filter.startingOffset(); offset < size; offset += step) {
                if (quit) {
                    Log.debug("scan: exiting background thread on connection close");
                    return;
                }
                offset = Math.max(offset, readEnd.getAndSet(0));
                filter.advanceClock(offset);
                if (offset < size) {
                    try {
                        next.cache(Math.min(step, size - offset), offset, 0);
                    } catch (RuntimeException e) {
                        // ignored, as nbdkit ignores it (the layer below has logged it)
                    }
                }
            }
            if (filter.forever()) filter.resetClock();
        } while (filter.forever() && !quit);
        if (quit) {
            Log.debug("scan: exiting background thread on connection close");
            return;
        }
        Log.debug("scan: finished scanning the plugin");
    }
}
