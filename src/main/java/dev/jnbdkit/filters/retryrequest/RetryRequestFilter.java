package dev.jnbdkit.filters.retryrequest;

import dev.jnbdkit.log.Log;
import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.ExtentSink;
import dev.jnbdkit.spi.Extents;
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
 * nbdkit-retry-request-filter: a request that fails is sent again to the same plugin connection
 * after a delay, up to {@code retry-request-retries} times; the plugin's open is retried the same
 * way unless {@code retry-request-open=false}. Unlike the retry filter nothing is reopened, so
 * requests stay parallel.
 */
public final class RetryRequestFilter implements Filter {
    private volatile long retries = 2;
    private volatile long delay = 2;
    private volatile boolean retryOpen = true;

    @Override public String name() { return "retry-request"; }

    @Override public String longname() { return "nbdkit retry request filter"; }

    @Override
    public String configHelp() {
        return """
                retry-request-retries=<N> Number of retries (default: 2).
                retry-request-delay=<N>   Seconds to wait before retry (default: 2).
                retry-request-open=false  Do not retry opening the plugin (default: true).""";
    }

    @Override
    public void config(NextBackend next, String key, String value) {
        switch (key) {
            case "retry-request-retries" -> retries = Numbers.parseUnsigned("retry-request-retries", value);
            case "retry-request-delay" -> {
                delay = Numbers.parseUnsigned("retry-request-delay", value);
                if (delay == 0) throw new PluginException(Errno.EINVAL, "retry-request-delay cannot be 0");
            }
            case "retry-request-open" -> retryOpen = Sizes.parseBool(value);
            default -> next.config(key, value);
        }
    }

    @FunctionalInterface
    private interface Call<T> {
        T run();
    }

    /** Runs {@code call}, and again after each failure (waiting first), up to the retries. */
    private <T> T retrying(String what, Call<T> call) {
        return retrying(what, call, false);
    }

    /** As {@link #retrying(String, Call)}; with {@code fastZero}, ENOTSUP is an answer, not retried. */
    private <T> T retrying(String what, Call<T> call, boolean fastZero) {
        for (long i = 0; ; i++) {
            if (i > 0) {
                Log.debug("retry " + i + ": waiting " + delay + " seconds before retrying " + what);
                try {
                    Thread.sleep(delay * 1000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new PluginException(Errno.EIO, "retry-request: interrupted");
                }
            }
            try {
                return call.run();
            } catch (PluginException e) {
                if (i >= retries || (fastZero && e.errno() == Errno.ENOTSUP)) throw e;
            }
        }
    }

    @Override
    public FilterHandle open(FilterContext context, OpenContext request) {
        if (retryOpen) retrying("open", () -> context.open(request.readonly(), request.exportName()));
        else context.open(request.readonly(), request.exportName());
        return new Handle();
    }

    /** Per connection: every data call goes through {@link #retrying}. */
    private final class Handle implements FilterHandle {
        @Override
        public void pread(Next next, IoBuffer buf, long offset, int flags) {
            retrying("pread", () -> { next.pread(buf, offset, flags); return null; });
        }

        @Override
        public void pwrite(Next next, IoBuffer buf, long offset, int flags) {
            retrying("pwrite", () -> { next.pwrite(buf, offset, flags); return null; });
        }

        @Override
        public void trim(Next next, long count, long offset, int flags) {
            retrying("trim", () -> { next.trim(count, offset, flags); return null; });
        }

        @Override
        public void flush(Next next, int flags) {
            retrying("flush", () -> { next.flush(flags); return null; });
        }

        @Override
        public void zero(Next next, long count, long offset, int flags) {
            // ENOTSUP from a fast zero means "do it slowly yourself": an answer, not a failure.
            retrying("zero", () -> { next.zero(count, offset, flags); return null; },
                    Flags.has(flags, Flags.FAST_ZERO));
        }

        @Override
        public void extents(Next next, long count, long offset, int flags, ExtentSink extents) {
            // A failed try's partial list is dropped: each try collects afresh.
            Extents got = retrying("extents", () -> {
                Extents e = new Extents(offset, next.getSize());
                next.extents(count, offset, flags, e);
                return e;
            });
            got.copyTo(extents, 0);
        }

        @Override
        public void cache(Next next, long count, long offset, int flags) {
            retrying("cache", () -> { next.cache(count, offset, flags); return null; });
        }
    }
}
