package dev.jnbdkit.filters.protect;

import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.PluginException;

/**
 * nbdkit_parse_uint64_t: an unsigned 64-bit number as C's strtoull reads it with base 0 (decimal,
 * 0x hexadecimal, 0 octal), with nbdkit's messages prefixed by {@code what}. Values above
 * Long.MAX_VALUE come back as Long.MAX_VALUE (no export is larger). (Would belong in spi.Sizes as
 * {@code parseUint64(String what, String text)}.)
 */
final class Uint64 {
    private Uint64() {}

    static long parse(String what, String value) {
        int i = 0;
        while (i < value.length() && Character.isWhitespace(value.charAt(i))) i++;
        if (value.startsWith("-", i)) throw new PluginException(Errno.EINVAL, what + ": negative numbers are not allowed");
        if (value.startsWith("+", i)) i++;
        int radix = 10;
        if ((value.startsWith("0x", i) || value.startsWith("0X", i))
                && i + 2 < value.length() && Character.digit(value.charAt(i + 2), 16) >= 0) {
            radix = 16;
            i += 2;
        } else if (value.startsWith("0", i)) {
            radix = 8;
        }
        int start = i;
        java.math.BigInteger n = java.math.BigInteger.ZERO;
        while (i < value.length() && Character.digit(value.charAt(i), radix) >= 0) {
            if (n.bitLength() <= 64) n = n.multiply(java.math.BigInteger.valueOf(radix)).add(java.math.BigInteger.valueOf(Character.digit(value.charAt(i), radix)));
            i++;
        }
        if (i == start) throw new PluginException(Errno.EINVAL, what + ": empty string where we expected a number");
        if (n.bitLength() > 64) {
            throw new PluginException(Errno.ERANGE, what + ": could not parse number: \"" + value
                    + "\": Numerical result out of range");
        }
        if (i != value.length()) {
            throw new PluginException(Errno.EINVAL, what + ": could not parse number: \"" + value + "\": trailing garbage");
        }
        return n.bitLength() > 63 ? Long.MAX_VALUE : n.longValue();
    }
}
