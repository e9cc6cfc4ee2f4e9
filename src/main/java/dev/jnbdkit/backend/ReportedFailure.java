package dev.jnbdkit.backend;

import dev.jnbdkit.log.Log;
import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.PluginException;

/**
 * A layer's failure that has already been logged, on its way out with the errno for the client:
 * outer layers (and the server) pass it on without logging it again. Its message is what the
 * client may hear: only which callback failed, never the plugin's own text (paths, tracebacks).
 */
public final class ReportedFailure extends PluginException {
    private final String callback;

    ReportedFailure(String callback, int errno) {
        super(errno, callback + " failed");
        this.callback = callback;
    }

    /** The callback that failed, by nbdkit's name (pread, zero, open...). */
    public String callback() { return callback; }

    @Override public synchronized Throwable fillInStackTrace() { return this; }

    /**
     * What leaves a layer's {@code callback}: a failure reported already passes as it is; a
     * {@link PluginException} is logged with its own message (as nbdkit_error would have); any
     * other exception is a bug of the layer, logged in full and sent on as EIO.
     */
    public static ReportedFailure of(String callback, RuntimeException e) {
        if (e instanceof ReportedFailure r) return r;
        if (e instanceof PluginException p) {
            if (p.getMessage() != null && !p.getMessage().isEmpty()) Log.error(p.getMessage());
            return new ReportedFailure(callback, p.errno());
        }
        Log.error(callback + ": " + e);
        if (Log.verbose()) e.printStackTrace();
        return new ReportedFailure(callback, Errno.EIO);
    }
}
