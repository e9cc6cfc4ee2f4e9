package dev.jnbdkit.filters.delay;

import dev.jnbdkit.filters.FilterArgs;
import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.ExtentSink;
import dev.jnbdkit.spi.Filter;
import dev.jnbdkit.spi.FilterContext;
import dev.jnbdkit.spi.FilterHandle;
import dev.jnbdkit.spi.Flags;
import dev.jnbdkit.spi.IoBuffer;
import dev.jnbdkit.spi.Next;
import dev.jnbdkit.spi.NextBackend;
import dev.jnbdkit.spi.Numbers;
import dev.jnbdkit.spi.OpenContext;
import dev.jnbdkit.spi.PluginException;
import dev.jnbdkit.spi.Sizes;

/**
 * nbdkit-delay-filter: sleeps before each kind of request (and at open and close) for the time
 * its {@code delay-*} parameter gives, in seconds ({@code 2}) or milliseconds ({@code 200ms}).
 */
public final class DelayFilter implements Filter {
    private long readMs, writeMs, zeroMs, trimMs, extentsMs, cacheMs, openMs, closeMs;
    private boolean delayFastZero = true;

    @Override public String name() { return "delay"; }

    @Override public String longname() { return "nbdkit delay filter"; }

    @Override
    public String configHelp() {
        return """
                rdelay=<NN>[ms]                Read delay in seconds/milliseconds.
                delay-read=<NN>[ms]            Read delay in seconds/milliseconds.
                delay-write=<NN>[ms]           Write delay in seconds/milliseconds.
                delay-zero=<NN>[ms]            Zero delay in seconds/milliseconds.
                delay-trim=<NN>[ms]            Trim delay in seconds/milliseconds.
                delay-extents=<NN>[ms]         Extents delay in seconds/milliseconds.
                delay-cache=<NN>[ms]           Cache delay in seconds/milliseconds.
                wdelay=<NN>[ms]                Write, zero and trim delay in secs/msecs.
                delay-fast-zero=<BOOL>         Delay fast zero requests (default true).
                delay-open=<NN>[ms]            Open delay in seconds/milliseconds.
                delay-close=<NN>[ms]           Close delay in seconds/milliseconds.""";
    }

    /** {@code SECS} or {@code NNms}, in milliseconds, with nbdkit's messages. */
    static long parseDelay(String key, String value) {
        if (value.length() > 2 && value.endsWith("ms")) {
            String n = value.substring(0, value.length() - 2);
            if (!n.chars().allMatch(Character::isDigit)) {
                throw FilterArgs.bad("cannot parse " + key + " in milliseconds parameter: " + value);
            }
            return Numbers.parseUnsigned(key, n);
        }
        return Numbers.parseUnsigned(key, value) * 1000;
    }

    @Override
    public void config(NextBackend next, String key, String value) {
        switch (key) {
            case "rdelay", "delay-read" -> readMs = parseDelay(key, value);
            case "delay-write" -> writeMs = parseDelay(key, value);
            case "delay-zero" -> zeroMs = parseDelay(key, value);
            case "delay-trim" -> trimMs = parseDelay(key, value);
            case "delay-extents" -> extentsMs = parseDelay(key, value);
            case "delay-cache" -> cacheMs = parseDelay(key, value);
            case "wdelay" -> writeMs = zeroMs = trimMs = parseDelay(key, value);
            case "delay-fast-zero" -> delayFastZero = Sizes.parseBool(value);
            case "delay-open" -> openMs = parseDelay(key, value);
            case "delay-close" -> closeMs = parseDelay(key, value);
            default -> next.config(key, value);
        }
    }

    static void sleep(long ms) {
        if (ms <= 0) return;
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PluginException(Errno.ESHUTDOWN, "delay interrupted: the server is shutting down");
        }
    }

    @Override
    public FilterHandle open(FilterContext context, OpenContext request) {
        sleep(openMs);
        context.open(request.readonly(), request.exportName());
        return new Delayed();
    }

    private final class Delayed implements FilterHandle {
        @Override public void close() { sleep(closeMs); }

        @Override
        public boolean canFastZero(Next next) {
            // Fast zeros are answered here (at once, ENOTSUP) when they would be delayed.
            if (zeroMs > 0 && !delayFastZero) return true;
            return next.canFastZero();
        }

        @Override
        public void pread(Next next, IoBuffer buf, long offset, int flags) {
            sleep(readMs);
            next.pread(buf, offset, flags);
        }

        @Override
        public void pwrite(Next next, IoBuffer buf, long offset, int flags) {
            sleep(writeMs);
            next.pwrite(buf, offset, flags);
        }

        @Override
        public void zero(Next next, long count, long offset, int flags) {
            if (Flags.has(flags, Flags.FAST_ZERO) && zeroMs > 0 && !delayFastZero) {
                throw new PluginException(Errno.ENOTSUP, null);
            }
            sleep(zeroMs);
            next.zero(count, offset, flags);
        }

        @Override
        public void trim(Next next, long count, long offset, int flags) {
            sleep(trimMs);
            next.trim(count, offset, flags);
        }

        @Override
        public void extents(Next next, long count, long offset, int flags, ExtentSink extents) {
            sleep(extentsMs);
            next.extents(count, offset, flags, extents);
        }

        @Override
        public void cache(Next next, long count, long offset, int flags) {
            sleep(cacheMs);
            next.cache(count, offset, flags);
        }
    }
}
