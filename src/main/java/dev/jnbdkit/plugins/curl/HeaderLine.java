package dev.jnbdkit.plugins.curl;

import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.PluginException;

/**
 * One {@code header=} value (or a line of a header script) with CURLOPT_HTTPHEADER's meaning:
 * {@code Name: value} adds a header, {@code Name:} removes one the plugin would send itself
 * (Accept, User-Agent, Cookie, Authorization...), {@code Name;} adds {@code Name} with an empty
 * value.
 */
record HeaderLine(String name, String value, boolean remove) {

    static HeaderLine parse(String line) {
        int colon = line.indexOf(':');
        int semi = line.indexOf(';');
        if (colon > 0 && (semi < 0 || colon < semi)) {
            String name = line.substring(0, colon).strip();
            String value = line.substring(colon + 1).strip();
            check(name, line);
            return new HeaderLine(name, value, value.isEmpty());
        }
        if (semi > 0 && line.substring(semi + 1).isBlank()) {
            String name = line.substring(0, semi).strip();
            check(name, line);
            return new HeaderLine(name, "", false);
        }
        throw new PluginException(Errno.EINVAL, "header: " + line + ": expected 'Name: value', 'Name:' or 'Name;'");
    }

    /** An RFC 9110 token: what both curl and the JDK's client accept as a header name. */
    private static void check(String name, String line) {
        if (name.isEmpty()) throw new PluginException(Errno.EINVAL, "header: " + line + ": empty header name");
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            boolean token = c > 32 && c < 127 && "\"(),/:;<=>?@[\\]{}".indexOf(c) < 0;
            if (!token) throw new PluginException(Errno.EINVAL, "header: " + line + ": invalid header name");
        }
    }

    boolean named(String other) { return name.equalsIgnoreCase(other); }
}
