package dev.jnbdkit.filters.nofilter;

import dev.jnbdkit.spi.Filter;

/**
 * nbdkit-nofilter-filter: passes every call through unchanged. Useful to test the filter layer
 * itself, and the smallest example of a filter: it implements nothing but its name, because every
 * callback of the SPI already passes through.
 */
public final class NoFilter implements Filter {
    @Override public String name() { return "nofilter"; }

    @Override public String longname() { return "nbdkit nofilter filter"; }
}
