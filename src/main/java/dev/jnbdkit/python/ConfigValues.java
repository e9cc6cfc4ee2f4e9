package dev.jnbdkit.python;

import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.PluginException;

import java.math.BigDecimal;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * nbdkit's parsers for configuration values that the Python module wraps:
 * nbdkit_parse_delay(3) and nbdkit_parse_probability(3). Errors are {@link PluginException}s
 * whose message is the error line nbdkit logs, prefixed by {@code what}.
 */
final class ConfigValues {
    private ConfigValues() {}

    /** A decimal number and an optional unit: 1, 1.2, 1.2s, 120ms, 1.2us, 120μs, 1ns. */
    private static final Pattern DELAY = Pattern.compile("([0-9]+(?:\\.[0-9]*)?|\\.[0-9]+)(s|ms|us|\u03bcs|\u00b5s|ns)?");

    /** nbdkit_parse_delay: {seconds, nanoseconds}; both fit an unsigned int, nanoseconds < 10^9. */
    static long[] parseDelay(String what, String str) {
        Matcher m = DELAY.matcher(str);
        if (!m.matches()) throw new PluginException(Errno.EINVAL, what + ": could not parse delay: " + str);
        int scale = switch (m.group(2) == null ? "s" : m.group(2)) {
            case "s" -> 9;
            case "ms" -> 6;
            case "ns" -> 0;
            default -> 3;   // us, μs
        };
        BigDecimal nanos = new BigDecimal(m.group(1).startsWith(".") ? "0" + m.group(1) : m.group(1)).movePointRight(scale);
        if (nanos.stripTrailingZeros().scale() > 0) {
            throw new PluginException(Errno.EINVAL, what + ": delay is finer than a nanosecond: " + str);
        }
        BigDecimal[] secs = nanos.divideAndRemainder(BigDecimal.valueOf(1_000_000_000L));
        if (secs[0].compareTo(BigDecimal.valueOf(0xffffffffL)) > 0) {
            throw new PluginException(Errno.ERANGE, what + ": delay is too long: " + str);
        }
        return new long[] {secs[0].longValueExact(), secs[1].longValueExact()};
    }

    /** A number as strtod reads it (without hex, infinities or NaN), then %, or :N or /N. */
    private static final Pattern NUMBER = Pattern.compile("[+-]?(?:[0-9]+(?:\\.[0-9]*)?|\\.[0-9]+)(?:[eE][+-]?[0-9]+)?");

    /** nbdkit_parse_probability: a finite number >= 0 (possibly above 1). */
    static double parseProbability(String what, String str) {
        String s = str.strip();
        double p;
        Matcher m = NUMBER.matcher(s);
        if (!m.lookingAt()) throw new PluginException(Errno.EINVAL, what + ": could not parse probability: " + str);
        double a = Double.parseDouble(m.group());
        String rest = s.substring(m.end());
        if (rest.isEmpty()) {
            p = a;
        } else if (rest.equals("%")) {
            p = a / 100.0;
        } else if (rest.startsWith(":") || rest.startsWith("/")) {
            String b = rest.substring(1).strip();
            if (!NUMBER.matcher(b).matches()) {
                throw new PluginException(Errno.EINVAL, what + ": could not parse probability: " + str);
            }
            double d = Double.parseDouble(b);
            if (d == 0) throw new PluginException(Errno.EINVAL, what + ": probability has a zero denominator: " + str);
            p = a / d;
        } else {
            throw new PluginException(Errno.EINVAL, what + ": could not parse probability: " + str);
        }
        if (!Double.isFinite(p) || p < 0) {
            throw new PluginException(Errno.ERANGE, what + ": probability out of range, should be >= 0: " + str);
        }
        return p == 0 ? 0.0 : p;   // never -0.0
    }
}
