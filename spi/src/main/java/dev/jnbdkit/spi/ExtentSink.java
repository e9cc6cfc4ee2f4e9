package dev.jnbdkit.spi;

/**
 * Where {@link Handle#extents} reports extents (nbdkit_add_extent). Extents must be added in
 * ascending order without gaps, starting at the requested offset; they may run past the requested
 * range (the server trims them). Adding is refused with {@link PluginException} (EINVAL) when out
 * of order.
 */
@FunctionalInterface
public interface ExtentSink {
    void add(long offset, long length, int type);
}
