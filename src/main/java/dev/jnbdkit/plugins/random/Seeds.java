package dev.jnbdkit.plugins.random;

import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.PluginException;

/** {@code seed=}: an unsigned 32-bit number, as nbdkit_parse_uint32_t reads it; default: the time. */
final class Seeds {
    private Seeds() {}

    /** nbdkit's default seed: the time in seconds, so runs differ unless a seed is given. */
    static long fromClock() { return (System.currentTimeMillis() / 1000) & 0xffffffffL; }

    static long parse(String text) {
        String t = text.strip();
        if (t.startsWith("-")) throw new PluginException(Errno.EINVAL, "seed: negative numbers are not allowed");
        int radix = 10;
        String digits = t.startsWith("+") ? t.substring(1) : t;
        if (digits.startsWith("0x") || digits.startsWith("0X")) {
            radix = 16;
            digits = digits.substring(2);
        } else if (digits.length() > 1 && digits.startsWith("0")) {
            radix = 8;
            digits = digits.substring(1);
        }
        int n = 0;
        while (n < digits.length() && Character.digit(digits.charAt(n), radix) >= 0) n++;
        if (n == 0 && !(radix == 8)) throw new PluginException(Errno.EINVAL, "seed: empty string where we expected a number");
        if (n < digits.length()) {
            throw new PluginException(Errno.EINVAL, "seed: could not parse number: \"" + text + "\": trailing garbage");
        }
        try {
            long v = n == 0 ? 0 : Long.parseLong(digits, radix);
            if (v > 0xffffffffL) throw new NumberFormatException();
            return v;
        } catch (NumberFormatException e) {
            throw new PluginException(Errno.EINVAL,
                    "seed: could not parse number: \"" + text + "\": Numerical result out of range");
        }
    }
}
