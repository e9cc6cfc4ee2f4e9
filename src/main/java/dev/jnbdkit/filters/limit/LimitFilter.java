package dev.jnbdkit.filters.limit;

import dev.jnbdkit.filters.FilterArgs;
import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.Filter;
import dev.jnbdkit.spi.FilterContext;
import dev.jnbdkit.spi.FilterHandle;
import dev.jnbdkit.spi.NextBackend;
import dev.jnbdkit.spi.Numbers;
import dev.jnbdkit.spi.OpenContext;
import dev.jnbdkit.spi.PluginException;

/**
 * nbdkit-limit-filter: at most {@code limit} (default 1; 0 = no limit) clients connected at once.
 * A client over the limit is refused when it connects (preconnect) or, if several raced past
 * that, when it opens the export.
 */
public final class LimitFilter implements Filter {
    private long limit = 1;
    private final Object lock = new Object();
    private long connections;

    @Override public String name() { return "limit"; }

    @Override public String longname() { return "nbdkit limit filter"; }

    @Override
    public void config(NextBackend next, String key, String value) {
        if (key.equals("limit")) limit = Numbers.parseUnsigned("limit", value);
        else next.config(key, value);
    }

    private PluginException tooMany() {
        return new PluginException(Errno.EINVAL, "limit: too many clients connected, connection rejected");
    }

    @Override
    public void preconnect(NextBackend next, boolean readonly) {
        next.preconnect(readonly);
        synchronized (lock) {
            if (limit > 0 && connections >= limit) throw tooMany();
        }
    }

    @Override
    public FilterHandle open(FilterContext context, OpenContext request) {
        context.open(request.readonly(), request.exportName());
        synchronized (lock) {
            if (limit > 0 && connections >= limit) throw tooMany();
            connections++;
        }
        return new FilterHandle() {
            @Override
            public void close() {
                synchronized (lock) { connections--; }
            }
        };
    }
}
