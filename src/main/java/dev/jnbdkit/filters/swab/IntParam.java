package dev.jnbdkit.filters.swab;

import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.PluginException;

/**
 * nbdkit_parse_int: a signed 32-bit number as C's strtol reads it with base 0, with nbdkit's
 * messages prefixed by {@code what}. (Would belong in spi.Sizes as {@code parseInt(String what, String text)}.)
 */
final class IntParam {
    private IntParam() {}

    static int parse(String what, String value) {
        int i = 0;
        while (i < value.length() && Character.isWhitespace(value.charAt(i))) i++;
        boolean negative = false;
        if (value.startsWith("-", i) || value.startsWith("+", i)) {
            negative = value.charAt(i) == '-';
            i++;
        }
        int radix = 10;
        if ((value.startsWith("0x", i) || value.startsWith("0X", i))
                && i + 2 < value.length() && Character.digit(value.charAt(i + 2), 16) >= 0) {
            radix = 16;
            i += 2;
        } else if (value.startsWith("0", i)) {
            radix = 8;
        }
        int start = i;
        long n = 0;
        boolean overflow = false;
        while (i < value.length() && Character.digit(value.charAt(i), radix) >= 0) {
            n = n * radix + Character.digit(value.charAt(i), radix);
            if (n > (1L << 31)) { overflow = true; n = 1L << 31; }
            i++;
        }
        if (i == start) throw new PluginException(Errno.EINVAL, what + ": empty string where we expected a number");
        long v = negative ? -n : n;
        if (overflow || v > Integer.MAX_VALUE || v < Integer.MIN_VALUE) {
            throw new PluginException(Errno.ERANGE, what + ": could not parse number: \"" + value
                    + "\": Numerical result out of range");
        }
        if (i != value.length()) {
            throw new PluginException(Errno.EINVAL, what + ": could not parse number: \"" + value + "\": trailing garbage");
        }
        return (int) v;
    }
}
