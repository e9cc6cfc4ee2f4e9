package dev.jnbdkit.filters;

import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.PluginException;

/**
 * Number parsers the built-in filters share, with nbdkit's messages (nbdkit_parse_unsigned and
 * nbdkit_parse_int). They belong in {@code spi.Sizes} next to {@code parse}; they live here until
 * the SPI has them.
 */
public final class FilterArgs {
    private FilterArgs() {}

    /** nbdkit_parse_unsigned: a decimal (or 0x hex, 0 octal) number that fits in 32 unsigned bits. */
    public static long parseUnsigned(String what, String value) {
        String s = value.strip();
        if (s.startsWith("-")) throw bad(what + ": negative numbers are not allowed");
        long v = parseC(what, value, s);
        if (v > 0xffffffffL) throw bad(what + ": could not parse number: \"" + value + "\": Numerical result out of range");
        return v;
    }

    /** nbdkit_parse_int: a signed number that fits in 32 bits. */
    public static int parseInt(String what, String value) {
        String s = value.strip();
        boolean neg = s.startsWith("-");
        long v = parseC(what, value, neg || s.startsWith("+") ? s.substring(1) : s);
        if (neg) v = -v;
        if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
            throw bad(what + ": could not parse number: \"" + value + "\": Numerical result out of range");
        }
        return (int) v;
    }

    /** strtol with base 0 on an unsigned text: the value, or nbdkit's message. */
    private static long parseC(String what, String original, String s) {
        int radix = 10, start = 0;
        if (s.length() > 1 && s.charAt(0) == '0' && (s.charAt(1) == 'x' || s.charAt(1) == 'X')) {
            radix = 16;
            start = 2;
        } else if (s.length() > 1 && s.charAt(0) == '0') {
            radix = 8;
            start = 1;
        }
        int end = start;
        while (end < s.length() && Character.digit(s.charAt(end), radix) >= 0) end++;
        if (end == start && !(radix == 8)) throw bad(what + ": empty string where we expected a number");
        if (end < s.length()) throw bad(what + ": could not parse number: \"" + original + "\": trailing garbage");
        if (end == start) return 0; // "0"
        try {
            return Long.parseLong(s.substring(start, end), radix);
        } catch (NumberFormatException e) {
            throw bad(what + ": could not parse number: \"" + original + "\": Numerical result out of range");
        }
    }

    public static PluginException bad(String message) {
        return new PluginException(Errno.EINVAL, message);
    }
}
