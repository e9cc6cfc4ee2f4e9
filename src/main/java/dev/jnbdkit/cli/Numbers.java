package dev.jnbdkit.cli;

import dev.jnbdkit.log.Log;
import dev.jnbdkit.spi.PluginException;

/**
 * nbdkit's number parsers ({@link dev.jnbdkit.spi.Numbers}) for server options: the same forms
 * and messages, failing as a usage error (exit 1).
 */
final class Numbers {
    private Numbers() {}

    /** An unsigned 32-bit value (returned in a long, 0 to 4294967295). */
    static long parseUnsigned(String what, String str) throws UsageException {
        try {
            return dev.jnbdkit.spi.Numbers.parseUnsigned(what, str);
        } catch (PluginException e) {
            throw new UsageException(Log.line("error: " + e.getMessage()));
        }
    }

    /** A signed 32-bit value. */
    static int parseInt(String what, String str) throws UsageException {
        try {
            return dev.jnbdkit.spi.Numbers.parseInt(what, str);
        } catch (PluginException e) {
            throw new UsageException(Log.line("error: " + e.getMessage()));
        }
    }
}
