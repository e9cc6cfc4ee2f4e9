package dev.jnbdkit.spi;

import java.math.BigInteger;

/**
 * nbdkit's number parsers for plugin and filter parameters (nbdkit_parse_int, nbdkit_parse_unsigned,
 * nbdkit_parse_int64_t, nbdkit_parse_uint64_t): the text is read as C's strtol/strtoul read it with
 * base 0 (leading white space, an optional sign, {@code 0x} hexadecimal, a leading {@code 0} octal),
 * nothing may follow the digits, and a failure is a {@link PluginException} whose message is
 * nbdkit's, prefixed by {@code what} (the parameter's name), so a bad parameter reads the same
 * under both servers. The checks come in nbdkit's order: a minus sign on an unsigned parameter,
 * then the range, then an empty number, then trailing garbage.
 */
public final class Numbers {
    private Numbers() {}

    private static final BigInteger INT_MIN = BigInteger.valueOf(Integer.MIN_VALUE);
    private static final BigInteger INT_MAX = BigInteger.valueOf(Integer.MAX_VALUE);
    private static final BigInteger UINT_MAX = BigInteger.valueOf(0xFFFF_FFFFL);
    private static final BigInteger INT64_MIN = BigInteger.valueOf(Long.MIN_VALUE);
    private static final BigInteger INT64_MAX = BigInteger.valueOf(Long.MAX_VALUE);
    private static final BigInteger UINT64_MAX = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);

    /** nbdkit_parse_int: a signed 32-bit number. */
    public static int parseInt(String what, String text) {
        return parse(what, text, true, INT_MIN, INT_MAX).intValue();
    }

    /** nbdkit_parse_unsigned: an unsigned 32-bit number, returned as a non-negative long. */
    public static long parseUnsigned(String what, String text) {
        return parse(what, text, false, BigInteger.ZERO, UINT_MAX).longValue();
    }

    /** nbdkit_parse_uint8_t, _uint16_t, _uint32_t, _uint64_t by width: an unsigned number of {@code bits} bits. */
    public static long parseUnsigned(String what, String text, int bits) {
        BigInteger max = switch (bits) {
            case 8, 16, 32, 64 -> BigInteger.ONE.shiftLeft(bits).subtract(BigInteger.ONE);
            default -> throw new IllegalArgumentException("no nbdkit parser for " + bits + "-bit numbers");
        };
        return parse(what, text, false, BigInteger.ZERO, max).longValue();
    }

    /** nbdkit_parse_int64_t: a signed 64-bit number. */
    public static long parseInt64(String what, String text) {
        return parse(what, text, true, INT64_MIN, INT64_MAX).longValue();
    }

    /**
     * nbdkit_parse_uint64_t: an unsigned 64-bit number. Values above {@link Long#MAX_VALUE} come
     * back as their two's-complement bits (negative longs); use {@link Long#compareUnsigned} or
     * clamp where a size or offset is meant.
     */
    public static long parseUint64(String what, String text) {
        return parse(what, text, false, BigInteger.ZERO, UINT64_MAX).longValue();
    }

    private static BigInteger parse(String what, String text, boolean signed, BigInteger min, BigInteger max) {
        int i = 0;
        while (i < text.length() && isCSpace(text.charAt(i))) i++;
        if (!signed && text.startsWith("-", i)) throw invalid(what + ": negative numbers are not allowed");
        boolean negative = false;
        if (text.startsWith("-", i) || text.startsWith("+", i)) {
            negative = text.charAt(i) == '-';
            i++;
        }
        int radix = 10;
        if ((text.startsWith("0x", i) || text.startsWith("0X", i))
                && i + 2 < text.length() && digit(text.charAt(i + 2), 16) >= 0) {
            radix = 16;
            i += 2;
        } else if (text.startsWith("0", i)) {
            radix = 8; // the 0 itself is the first octal digit
        }
        int start = i;
        BigInteger value = BigInteger.ZERO;
        BigInteger big = BigInteger.valueOf(radix);
        for (; i < text.length() && digit(text.charAt(i), radix) >= 0; i++) {
            // past 2^64 the exact value no longer matters: it is out of every range
            if (value.bitLength() <= 65) value = value.multiply(big).add(BigInteger.valueOf(digit(text.charAt(i), radix)));
        }
        if (negative) value = value.negate();
        if (value.compareTo(min) < 0 || value.compareTo(max) > 0) {
            throw new PluginException(Errno.ERANGE,
                    what + ": could not parse number: \"" + text + "\": Numerical result out of range");
        }
        if (i == start) throw invalid(what + ": empty string where we expected a number");
        if (i != text.length()) throw invalid(what + ": could not parse number: \"" + text + "\": trailing garbage");
        return value;
    }

    /** C's isspace in the C locale. */
    private static boolean isCSpace(char c) {
        return c == ' ' || (c >= '\t' && c <= '\r');
    }

    /** A digit in {@code radix}, ASCII only (Character.digit would take other scripts' digits). */
    private static int digit(char c, int radix) {
        return c < 128 ? Character.digit(c, radix) : -1;
    }

    private static PluginException invalid(String message) {
        return new PluginException(Errno.EINVAL, message);
    }
}
