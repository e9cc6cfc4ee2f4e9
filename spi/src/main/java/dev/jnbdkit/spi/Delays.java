package dev.jnbdkit.spi;

import java.math.BigDecimal;

/**
 * nbdkit's delay syntax (nbdkit_parse_delay): a non-negative decimal number of seconds, with an
 * optional unit: {@code s}, {@code ms}, {@code us} / {@code μs}, {@code ns} ({@code 1}, {@code 1.2},
 * {@code 1.2s}, {@code 120ms}, {@code 5us}, {@code 1ns}). Errors throw {@link PluginException}
 * with EINVAL, naming {@code what}.
 */
public final class Delays {
    private Delays() {}

    /** The delay in nanoseconds. */
    public static long parse(String what, String text) {
        if (text == null || text.isEmpty()) throw bad(what, text);
        String s = text;
        long scale;
        if (s.endsWith("ns")) { scale = 1; s = s.substring(0, s.length() - 2); }
        else if (s.endsWith("us") || s.endsWith("μs")) { scale = 1_000; s = s.substring(0, s.length() - 2); }
        else if (s.endsWith("ms")) { scale = 1_000_000; s = s.substring(0, s.length() - 2); }
        else if (s.endsWith("s")) { scale = 1_000_000_000; s = s.substring(0, s.length() - 1); }
        else scale = 1_000_000_000;
        if (s.isEmpty() || !s.matches("[0-9]*\\.?[0-9]*") || s.equals(".")) throw bad(what, text);
        try {
            BigDecimal ns = new BigDecimal(s).multiply(BigDecimal.valueOf(scale));
            if (ns.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) > 0) throw bad(what, text);
            return ns.longValue();
        } catch (NumberFormatException e) {
            throw bad(what, text);
        }
    }

    private static PluginException bad(String what, String text) {
        return new PluginException(Errno.EINVAL, what + ": could not parse delay: '" + text + "'");
    }
}
