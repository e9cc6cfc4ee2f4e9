package dev.jnbdkit.filters.retry;

import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.PluginException;

/**
 * nbdkit_parse_unsigned for filter parameters: C {@code strtoul} with base 0 ({@code 0x10} is hex,
 * {@code 010} octal), leading white space and {@code +} allowed, nothing after the digits, at most
 * 4294967295, with nbdkit's error texts ({@code what: ...}). Errors are {@link PluginException}s
 * with EINVAL, which the server prints as nbdkit does before exiting 1.
 *
 * <p>Shared by the retry, retry-request, exitwhen and stats filters; it belongs in
 * {@code spi.Sizes} as {@code public static long parseUnsigned(String what, String text)}.
 */
public final class Unsigned {
    private Unsigned() {}

    public static long parse(String what, String str) {
        int i = skipSpace(str, 0);
        if (i < str.length() && str.charAt(i) == '-') throw error(what + ": negative numbers are not allowed");
        if (i < str.length() && str.charAt(i) == '+') i++;
        int base = 10;
        if (i < str.length() && str.charAt(i) == '0') {
            if (i + 2 < str.length() && (str.charAt(i + 1) == 'x' || str.charAt(i + 1) == 'X')
                    && Character.digit(str.charAt(i + 2), 16) >= 0) {
                base = 16;
                i += 2;
            } else {
                base = 8;
            }
        }
        int start = i;
        long value = 0;
        boolean overflow = false;
        for (; i < str.length(); i++) {
            char c = str.charAt(i);
            int d = c < 128 ? Character.digit(c, base) : -1;
            if (d < 0) break;
            value = value * base + d;
            if (value > 0xFFFF_FFFFL) overflow = true;
            if (overflow) value = 0xFFFF_FFFFL + 1;
        }
        if (i == start) throw error(what + ": empty string where we expected a number");
        if (overflow) throw error(what + ": could not parse number: \"" + str + "\": Numerical result out of range");
        if (i != str.length()) throw error(what + ": could not parse number: \"" + str + "\": trailing garbage");
        return value;
    }

    private static int skipSpace(String s, int i) {
        while (i < s.length() && " \t\n\u000b\f\r".indexOf(s.charAt(i)) >= 0) i++;
        return i;
    }

    private static PluginException error(String message) {
        return new PluginException(Errno.EINVAL, message);
    }
}
