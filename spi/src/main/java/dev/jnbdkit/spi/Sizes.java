package dev.jnbdkit.spi;

/**
 * nbdkit's size syntax (nbdkit_parse_size): a non-negative decimal number with an optional
 * scale suffix: b/B (bytes), s/S (512-byte sectors), k/K, m/M, g/G, t/T, p/P, e/E (powers of
 * 1024). Errors throw {@link PluginException} with EINVAL and nbdkit's messages.
 */
public final class Sizes {
    private Sizes() {}

    public static long parse(String text) {
        if (text == null) throw new PluginException(Errno.EINVAL, "size parameter: missing");
        String s = text.strip();
        int i = 0;
        while (i < s.length() && Character.isDigit(s.charAt(i))) i++;
        if (s.startsWith("-")) {
            throw new PluginException(Errno.EINVAL, "size cannot be negative (" + text + ")");
        }
        if (i == 0) {
            throw new PluginException(Errno.EINVAL, "could not parse size string (" + text + ")");
        }
        long value;
        try {
            value = Long.parseLong(s.substring(0, i));
        } catch (NumberFormatException e) {
            throw new PluginException(Errno.EINVAL, "size (" + text + ") exceeds maximum value");
        }
        String suffix = s.substring(i);
        int shift;
        switch (suffix) {
            case "", "b", "B" -> shift = 0;
            case "s", "S" -> shift = 9;
            case "k", "K" -> shift = 10;
            case "m", "M" -> shift = 20;
            case "g", "G" -> shift = 30;
            case "t", "T" -> shift = 40;
            case "p", "P" -> shift = 50;
            case "e", "E" -> shift = 60;
            default -> throw new PluginException(Errno.EINVAL,
                    "could not parse size: unknown suffix '" + suffix + "'");
        }
        if (shift > 0 && value > (Long.MAX_VALUE >> shift)) {
            throw new PluginException(Errno.EINVAL, "size (" + text + ") exceeds maximum value");
        }
        return value << shift;
    }

    /**
     * nbdkit_parse_bool: 1/true/t/yes/y/on, 0/false/f/no/n/off (any case). Errors throw
     * {@link PluginException} with EINVAL and nbdkit's message.
     */
    public static boolean parseBool(String text) {
        Boolean b = boolOrNull(text);
        if (b == null) throw new PluginException(Errno.EINVAL, "could not decipher boolean (" + text + ")");
        return b;
    }

    /** nbdkit_parse_bool's words, or null for anything else: the one table of them. */
    public static Boolean boolOrNull(String text) {
        if (text == null) return null;
        return switch (text.toLowerCase(java.util.Locale.ROOT)) {
            case "1", "true", "t", "yes", "y", "on" -> Boolean.TRUE;
            case "0", "false", "f", "no", "n", "off" -> Boolean.FALSE;
            default -> null;
        };
    }
}
