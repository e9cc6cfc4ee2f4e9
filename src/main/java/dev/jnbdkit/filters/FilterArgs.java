package dev.jnbdkit.filters;

import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.PluginException;

/** What the built-in filters share about bad parameters (numbers are parsed by {@code spi.Numbers}). */
public final class FilterArgs {
    private FilterArgs() {}

    /** A bad parameter: the server prints {@code error: MESSAGE} and exits 1, as nbdkit does. */
    public static PluginException bad(String message) {
        return new PluginException(Errno.EINVAL, message);
    }
}
