package dev.jnbdkit.cli;

import dev.jnbdkit.log.Log;

/**
 * nbdkit's number parsing ({@code nbdkit_parse_unsigned}, {@code nbdkit_parse_int}): C {@code strtol}
 * with base 0 (so {@code 0x10} is hex and {@code 010} octal), leading white space and a {@code +}
 * sign allowed, nothing allowed after the digits, and nbdkit's error texts.
 */
final class Numbers {
    private Numbers() {}

    /** An unsigned 32-bit value (returned in a long, 0 to 4294967295). */
    static long parseUnsigned(String what, String str) throws UsageException {
        int i = skipSpace(str, 0);
        if (i < str.length() && str.charAt(i) == '-')
            throw error(what + ": negative numbers are not allowed");
        String trimmed = str.substring(i);
        return parse(what, trimmed, 0, 0xFFFF_FFFFL);
    }

    /** A signed 32-bit value. */
    static int parseInt(String what, String str) throws UsageException {
        return (int) parse(what, str, Integer.MIN_VALUE, Integer.MAX_VALUE);
    }

    private static long parse(String what, String str, long min, long max) throws UsageException {
        int i = skipSpace(str, 0);
        boolean negative = false;
        if (i < str.length() && (str.charAt(i) == '+' || str.charAt(i) == '-')) {
            negative = str.charAt(i) == '-';
            i++;
        }
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
        while (i < str.length()) {
            char c = str.charAt(i);
            int d = c < 128 ? Character.digit(c, base) : -1;
            if (d < 0) break;
            if (value > (Long.MAX_VALUE - d) / base) overflow = true;
            else value = value * base + d;
            i++;
        }
        if (i == start)
            throw error(what + ": empty string where we expected a number");
        long signed = negative ? -value : value;
        if (overflow || signed < min || signed > max)
            throw error(what + ": could not parse number: \"" + str + "\": Numerical result out of range");
        if (i != str.length())
            throw error(what + ": could not parse number: \"" + str + "\": trailing garbage");
        return signed;
    }

    private static int skipSpace(String s, int i) {
        while (i < s.length() && " \t\n\u000b\f\r".indexOf(s.charAt(i)) >= 0) i++;
        return i;
    }

    private static UsageException error(String message) {
        return new UsageException(Log.line("error: " + message));
    }
}
