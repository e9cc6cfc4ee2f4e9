package dev.jnbdkit.filters.exitlast;

import dev.jnbdkit.log.Log;
import dev.jnbdkit.spi.Filter;
import dev.jnbdkit.spi.FilterContext;
import dev.jnbdkit.spi.FilterHandle;
import dev.jnbdkit.spi.Nbdkit;
import dev.jnbdkit.spi.OpenContext;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * nbdkit-exitlast-filter: once the last open connection closes, shut the server down (never
 * before the first connection). Connections count from a successful open of the layers below to
 * the close of this filter's handle.
 */
public final class ExitLastFilter implements Filter {
    private final AtomicInteger connections = new AtomicInteger();

    @Override public String name() { return "exitlast"; }

    @Override public String longname() { return "nbdkit exitlast filter"; }

    @Override
    public FilterHandle open(FilterContext context, OpenContext request) {
        context.open(request.readonly(), request.exportName());
        connections.incrementAndGet();
        return new FilterHandle() {
            @Override
            public void close() {
                if (connections.decrementAndGet() == 0) {
                    Log.debug("exitlast: exiting on last client connection");
                    Nbdkit.shutdown();
                }
            }
        };
    }
}
