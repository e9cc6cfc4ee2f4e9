package dev.jnbdkit.filters.scan;

import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.Filter;
import dev.jnbdkit.spi.FilterContext;
import dev.jnbdkit.spi.FilterHandle;
import dev.jnbdkit.spi.NextBackend;
import dev.jnbdkit.spi.OpenContext;
import dev.jnbdkit.spi.PluginException;
import dev.jnbdkit.spi.Sizes;
import dev.jnbdkit.spi.ThreadModel;

import java.util.concurrent.atomic.AtomicLong;

/**
 * nbdkit-scan-filter: while a client is connected, a background thread per connection prefetches
 * the whole disk in order ({@code NBD_CMD_CACHE} to the layer below, {@code scan-size} at a
 * time), skipping ahead past the client's reads ({@code scan-ahead}), resuming where the last
 * connection's scan got to ({@code scan-clock}) and starting over at the end ({@code scan-forever}).
 * It scans only the default export, only when the server's thread model is parallel and the
 * layer below caches natively, and warns (as nbdkit, through the error log) when it cannot.
 */
public final class ScanFilter implements Filter {
    private volatile boolean ahead = true;
    private volatile boolean clock = true;
    private volatile boolean forever = false;
    private volatile long size = 2 * 1024 * 1024;
    private volatile boolean parallel = true;
    /** Where the scans have got to, shared by all connections (nbdkit's clock). */
    private final AtomicLong position = new AtomicLong();

    @Override public String name() { return "scan"; }

    @Override public String longname() { return "nbdkit scan filter"; }

    @Override
    public String configHelp() {
        return """
                scan-ahead=false         Skip ahead when client reads faster.
                scan-clock=false         Always start prefetching from beginning.
                scan-forever=true        Scan in a loop while clients connected.
                scan-size=NN             Set scan block size.""";
    }

    @Override
    public void config(NextBackend next, String key, String value) {
        switch (key) {
            case "scan-ahead" -> ahead = Sizes.parseBool(value);
            case "scan-clock" -> clock = Sizes.parseBool(value);
            case "scan-forever" -> forever = Sizes.parseBool(value);
            case "scan-size" -> size = Sizes.parse(value);
            default -> next.config(key, value);
        }
    }

    @Override
    public void configComplete(NextBackend next) {
        if (size < 512 || size > 32 * 1024 * 1024 || Long.bitCount(size) != 1) {
            throw new PluginException(Errno.EINVAL, "scan-size parameter should be [512..32M] and a power of two");
        }
        next.configComplete();
    }

    @Override public void getReady(ThreadModel threadModel) { parallel = threadModel == ThreadModel.PARALLEL; }

    @Override
    public FilterHandle open(FilterContext context, OpenContext request) {
        context.open(request.readonly(), request.exportName());
        return new ScanHandle(this, request.exportName().isEmpty());
    }

    boolean ahead() { return ahead; }

    boolean forever() { return forever; }

    long scanSize() { return size; }

    boolean parallel() { return parallel; }

    /** Where a new scan starts: the clock, or 0 with {@code scan-clock=false}. */
    long startingOffset() { return clock ? position.get() : 0; }

    /** A scan is about to prefetch at {@code offset}: the clock moves forward to it. */
    void advanceClock(long offset) { position.accumulateAndGet(offset, Math::max); }

    /** A forever scan starts over. */
    void resetClock() { position.set(0); }
}
