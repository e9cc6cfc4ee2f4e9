package dev.jnbdkit.filters.retry;

import dev.jnbdkit.log.Log;
import dev.jnbdkit.spi.CacheMode;
import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.ExtentSink;
import dev.jnbdkit.spi.Extents;
import dev.jnbdkit.spi.FilterContext;
import dev.jnbdkit.spi.FilterHandle;
import dev.jnbdkit.spi.Flags;
import dev.jnbdkit.spi.FuaMode;
import dev.jnbdkit.spi.IoBuffer;
import dev.jnbdkit.spi.Next;
import dev.jnbdkit.spi.PluginException;
import dev.jnbdkit.spi.ZeroMode;

/**
 * One connection through the retry filter. Every data call runs in {@link #retrying}: on failure
 * the current context of the plugin is finalized and closed, and after the delay a new one is
 * opened (read-only if {@code retry-readonly}), prepared and installed with
 * {@link FilterContext#setNext}; then the call runs again on it. The connection's requests are
 * serialized by the filter's thread model, so the fields need no lock beyond visibility.
 */
final class RetryHandle implements FilterHandle {
    private final RetrySettings settings;
    private final FilterContext context;
    private final boolean readonly;
    private final String exportName;
    private volatile int reopens;
    /** False after a reopen failed: the next call goes straight to reopening. */
    private volatile boolean open;

    private RetryHandle(RetrySettings settings, FilterContext context, boolean readonly, String exportName) {
        this.settings = settings;
        this.context = context;
        this.readonly = readonly;
        this.exportName = exportName;
    }

    /**
     * Opens the plugin for a new connection. A failing first open fails the connection, as in
     * nbdkit 1.32 (the retry-request filter can retry opens): only reopens are retried.
     */
    static RetryHandle open(RetrySettings settings, FilterContext context, boolean readonly, String exportName) {
        RetryHandle h = new RetryHandle(settings, context, readonly, exportName);
        context.open(readonly, exportName);
        h.open = true;
        return h;
    }

    /** The retries of one request: how many so far and the next wait. */
    private static final class Attempt {
        long retry;
        long delay;
        int errno;

        Attempt(long delay, int errno) {
            this.delay = delay;
            this.errno = errno;
        }
    }

    @FunctionalInterface
    private interface Call<T> {
        T run(Next next);
    }

    /**
     * Runs {@code call} on the current context, reopening and running it again after each
     * failure until it succeeds or the retries are used up; then the last failure is thrown.
     */
    private <T> T retrying(String method, Next next, Call<T> call) {
        try {
            return retryingOrNot(method, next, call);
        } catch (NotRetried e) {
            throw e.cause;
        }
    }

    private <T> T retryingOrNot(String method, Next next, Call<T> call) {
        Attempt attempt = null;
        while (true) {
            PluginException failure;
            try {
                if (!open) throw new PluginException(Errno.ESHUTDOWN, "");
                return call.run(next);
            } catch (PluginException e) {
                failure = e;
            }
            if (attempt == null) attempt = new Attempt(settings.initialDelay(), failure.errno());
            attempt.errno = failure.errno();
            Next fresh = reopen(attempt, method);
            if (fresh == null) {
                if (attempt.errno == failure.errno()) throw failure;
                throw new PluginException(attempt.errno, "");
            }
            next = fresh;
        }
    }

    /**
     * Waits, closes the current context and opens a new one; returns it, or null when the
     * retries are used up (or the wait was interrupted). Failures to finalize the old context or
     * to open or prepare the new one count as retries (ESHUTDOWN).
     */
    private Next reopen(Attempt a, String method) {
        while (true) {
            if (a.retry >= settings.retries()) {
                Log.debug("could not recover after " + settings.retries() + " retries");
                return null;
            }
            Log.debug(method + " failed: original errno = " + a.errno);
            Log.debug("retry " + (a.retry + 1) + ": waiting " + a.delay + " seconds before retrying");
            try {
                Thread.sleep(a.delay * 1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return null;
            }
            a.retry++;
            if (settings.exponential()) a.delay *= 2;

            reopens++;
            open = false;
            Next old = context.setNext(null);
            if (old != null) {
                try {
                    old.finalizeContext();
                } catch (PluginException e) {
                    // Finalize failing means data may be lost: the same as the request failing.
                    context.setNext(old);
                    a.errno = Errno.ESHUTDOWN;
                    continue;
                }
                old.closeContext();
            }

            Next fresh;
            try {
                fresh = context.backend().openContext(readonly || settings.readonly(), exportName);
            } catch (PluginException e) {
                a.errno = Errno.ESHUTDOWN;
                continue;
            }
            try {
                fresh.prepareContext();
            } catch (PluginException e) {
                try {
                    fresh.finalizeContext();
                } catch (PluginException ignored) {
                    // already logged; the context is closed either way
                }
                fresh.closeContext();
                a.errno = Errno.ESHUTDOWN;
                continue;
            }
            context.setNext(fresh);
            open = true;
            return fresh;
        }
    }

    // ---- checks nbdkit's filter makes itself, because a new context may differ from the old ----

    /** A range beyond the (new) context's size: EIO for reads, ENOSPC for writes. */
    private static void checkRange(Next next, long count, long offset, boolean write) {
        if (offset + count > next.getSize()) throw new PluginException(write ? Errno.ENOSPC : Errno.EIO, "");
    }

    /** After a reopen with retry-readonly, writes fail at once: retrying cannot help. */
    private void refuseIfForcedReadonly() {
        if (reopens > 0 && settings.readonly()) throw new NotRetried(new PluginException(Errno.EROFS, ""));
    }

    private void checkWritable(Next next, int flags) {
        if (!next.canWrite()) throw new PluginException(Errno.EROFS, "");
        if (Flags.has(flags, Flags.FUA) && next.canFua() == FuaMode.NONE) throw new PluginException(Errno.EIO, "");
    }

    // ---- data calls ------------------------------------------------------------------------------

    @Override
    public void pread(Next next, IoBuffer buf, long offset, int flags) {
        retrying("pread", next, n -> {
            checkRange(n, buf.length(), offset, false);
            n.pread(buf, offset, flags);
            return null;
        });
    }

    @Override
    public void pwrite(Next next, IoBuffer buf, long offset, int flags) {
        retrying("pwrite", next, n -> {
            refuseIfForcedReadonly();
            checkRange(n, buf.length(), offset, true);
            checkWritable(n, flags);
            n.pwrite(buf, offset, flags);
            return null;
        });
    }

    @Override
    public void trim(Next next, long count, long offset, int flags) {
        retrying("trim", next, n -> {
            refuseIfForcedReadonly();
            checkRange(n, count, offset, true);
            checkWritable(n, flags);
            if (!n.canTrim()) throw new PluginException(Errno.EROFS, "");
            n.trim(count, offset, flags);
            return null;
        });
    }

    @Override
    public void zero(Next next, long count, long offset, int flags) {
        if (Flags.has(flags, Flags.FAST_ZERO) && !next.canFastZero()) {
            throw new PluginException(Errno.ENOTSUP, "");
        }
        retrying("zero", next, n -> {
            refuseIfForcedReadonly();
            checkRange(n, count, offset, true);
            checkWritable(n, flags);
            if (n.canZero() == ZeroMode.NONE) throw new PluginException(Errno.EROFS, "");
            try {
                n.zero(count, offset, flags);
            } catch (PluginException e) {
                // A fast zero that would be slow is an answer, not a failure worth a reopen.
                if (Flags.has(flags, Flags.FAST_ZERO) && e.errno() == Errno.ENOTSUP) throw new NotRetried(e);
                throw e;
            }
            return null;
        });
    }

    @Override
    public void flush(Next next, int flags) {
        retrying("flush", next, n -> {
            if (!n.canFlush()) throw new PluginException(Errno.EIO, "");
            n.flush(flags);
            return null;
        });
    }

    @Override
    public void extents(Next next, long count, long offset, int flags, ExtentSink extents) {
        // Each try collects afresh, so a failed try's partial list is not passed on.
        Extents got = retrying("extents", next, n -> {
            checkRange(n, count, offset, false);
            if (!n.canExtents()) throw new PluginException(Errno.EIO, "");
            Extents e = new Extents(offset, n.getSize());
            n.extents(count, offset, flags, e);
            return e;
        });
        got.copyTo(extents, 0);
    }

    @Override
    public void cache(Next next, long count, long offset, int flags) {
        retrying("cache", next, n -> {
            checkRange(n, count, offset, false);
            if (n.canCache() == CacheMode.NONE) throw new PluginException(Errno.EIO, "");
            n.cache(count, offset, flags);
            return null;
        });
    }

    @Override
    public void close() {
        Log.debug("reopens needed: " + reopens);
    }

    /** A failure that is passed to the client without a retry. */
    private static final class NotRetried extends RuntimeException {
        final PluginException cause;

        NotRetried(PluginException cause) {
            super(null, null, false, false);
            this.cause = cause;
        }
    }
}
