package dev.jnbdkit.filters.cache;

import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.PluginException;

/**
 * nbdkit_parse_unsigned: an unsigned 32-bit number as C's strtoul reads it with base 0 (an
 * optional '+', then decimal, 0x hexadecimal or 0 octal), with nbdkit's messages, each prefixed
 * by the parameter's name. (Would belong in spi.Sizes next to parse and parseBool.)
 */
final class Unsigned {
    private Unsigned() {}

    static long parse(String what, String value) {
        if (value.isEmpty() || Character.isWhitespace(value.charAt(0))) {
            throw new PluginException(Errno.EINVAL, what + ": empty string where we expected a number");
        }
        if (value.startsWith("-")) throw new PluginException(Errno.EINVAL, what + ": negative numbers are not allowed");
        int i = value.startsWith("+") ? 1 : 0;
        int radix = 10;
        if (value.startsWith("0x", i) || value.startsWith("0X", i)) {
            if (i + 2 < value.length() && Character.digit(value.charAt(i + 2), 16) >= 0) {
                radix = 16;
                i += 2;
            }
        } else if (value.startsWith("0", i)) {
            radix = 8;
        }
        int start = i;
        long n = 0;
        boolean overflow = false;
        while (i < value.length() && Character.digit(value.charAt(i), radix) >= 0) {
            n = n * radix + Character.digit(value.charAt(i), radix);
            if (n > 0xffffffffL) overflow = true;
            if (n > Long.MAX_VALUE / 16) n = Long.MAX_VALUE / 16;
            i++;
        }
        if (i == start) throw new PluginException(Errno.EINVAL, what + ": empty string where we expected a number");
        if (overflow) {
            throw new PluginException(Errno.EINVAL, what + ": could not parse number: \"" + value
                    + "\": Numerical result out of range");
        }
        if (i != value.length()) {
            throw new PluginException(Errno.EINVAL, what + ": could not parse number: \"" + value + "\": trailing garbage");
        }
        return n;
    }
}
