package dev.jnbdkit.filters.nocache;

import dev.jnbdkit.filters.FilterArgs;
import dev.jnbdkit.spi.CacheMode;
import dev.jnbdkit.spi.Filter;
import dev.jnbdkit.spi.FilterContext;
import dev.jnbdkit.spi.FilterHandle;
import dev.jnbdkit.spi.Next;
import dev.jnbdkit.spi.NextBackend;
import dev.jnbdkit.spi.OpenContext;

/**
 * nbdkit-nocache-filter: NBD_CMD_CACHE not advertised ({@code none}), emulated by reads whatever
 * the plugin does ({@code emulate}), or accepted and ignored ({@code nop}).
 */
public final class NoCacheFilter implements Filter {
    private CacheMode mode = CacheMode.NONE; // nop is NATIVE with a cache that does nothing

    @Override public String name() { return "nocache"; }

    @Override public String longname() { return "nbdkit nocache filter"; }

    @Override
    public String configHelp() { return "cachemode=<MODE>     Either 'none' (default), 'emulate', or 'nop'."; }

    @Override
    public void config(NextBackend next, String key, String value) {
        if (!key.equals("cachemode")) {
            next.config(key, value);
            return;
        }
        mode = switch (value) {
            case "none" -> CacheMode.NONE;
            case "emulate" -> CacheMode.EMULATE;
            case "nop" -> CacheMode.NATIVE;
            default -> throw FilterArgs.bad("unknown cachemode '" + value + "'");
        };
    }

    @Override
    public FilterHandle open(FilterContext context, OpenContext request) {
        context.open(request.readonly(), request.exportName());
        CacheMode m = mode;
        return new FilterHandle() {
            @Override public CacheMode canCache(Next next) { return m; }

            // Only reached in nop mode (emulate reads through pread, none is never called).
            @Override public void cache(Next next, long count, long offset, int flags) {}
        };
    }
}
