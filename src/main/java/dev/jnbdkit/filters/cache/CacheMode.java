package dev.jnbdkit.filters.cache;

import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.PluginException;

/** {@code cache=writeback|writethrough|unsafe}: when writes reach the plugin. */
enum CacheMode {
    /** Writes stay in the cache until the client flushes (or sends FUA). The default. */
    WRITEBACK,
    /** Every write goes to the plugin at once, and to the cache. */
    WRITETHROUGH,
    /** Flush is ignored: writes reach the plugin only when the cache must shrink. */
    UNSAFE;

    static CacheMode parse(String value) {
        return switch (value) {
            case "writeback" -> WRITEBACK;
            case "writethrough" -> WRITETHROUGH;
            case "unsafe" -> UNSAFE;
            default -> throw new PluginException(Errno.EINVAL,
                    "invalid cache parameter, should be writeback|writethrough|unsafe");
        };
    }
}
