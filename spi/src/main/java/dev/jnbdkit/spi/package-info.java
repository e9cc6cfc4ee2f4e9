/**
 * The public plugin interface of jnbdkit, mirroring nbdkit-plugin(3).
 *
 * <p>A plugin is found by name (built-ins, {@code python}) or loaded from a user's jar through
 * {@link java.util.ServiceLoader} as a {@link dev.jnbdkit.spi.Plugin}. The server calls the
 * plugin-wide callbacks on {@link Plugin}; {@link Plugin#open} returns a {@link Handle} that carries
 * one client connection's callbacks. Errors are reported by throwing {@link PluginException} with an
 * errno value; the server maps it to the NBD error the client sees.
 */
package dev.jnbdkit.spi;
