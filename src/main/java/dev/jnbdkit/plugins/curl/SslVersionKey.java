package dev.jnbdkit.plugins.curl;

import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.PluginException;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code ssl-version=}: CURLOPT_SSLVERSION's minimum ({@code tlsv1.2}: 1.2 or later) and maximum
 * ({@code max-tlsv1.2}) versions, turned into the JSSE protocol list. SSLv2 and SSLv3 are
 * refused: the JDK has neither.
 */
enum SslVersionKey {
    DEFAULT(0, 3), TLSV1(0, 3), TLSV1_0(0, 3), TLSV1_1(1, 3), TLSV1_2(2, 3), TLSV1_3(3, 3),
    MAX_DEFAULT(0, 3), MAX_TLSV1_0(0, 0), MAX_TLSV1_1(0, 1), MAX_TLSV1_2(0, 2), MAX_TLSV1_3(0, 3);

    private static final String[] NAMES = {"TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"};
    private final int min;
    private final int max;

    SslVersionKey(int min, int max) {
        this.min = min;
        this.max = max;
    }

    static SslVersionKey parse(String value) {
        return switch (value) {
            case "default" -> DEFAULT;
            case "tlsv1" -> TLSV1;
            case "tlsv1.0" -> TLSV1_0;
            case "tlsv1.1" -> TLSV1_1;
            case "tlsv1.2" -> TLSV1_2;
            case "tlsv1.3" -> TLSV1_3;
            case "max-default" -> MAX_DEFAULT;
            case "max-tlsv1.0" -> MAX_TLSV1_0;
            case "max-tlsv1.1" -> MAX_TLSV1_1;
            case "max-tlsv1.2" -> MAX_TLSV1_2;
            case "max-tlsv1.3" -> MAX_TLSV1_3;
            case "sslv2", "sslv3" -> throw new PluginException(Errno.EINVAL,
                    "ssl-version=" + value + " is not supported by jnbdkit's curl plugin: the JDK has no SSLv2 or SSLv3");
            default -> throw new PluginException(Errno.EINVAL, "unknown ssl-version: " + value);
        };
    }

    /** The JSSE protocol names, or null to keep the JDK's defaults. */
    String[] protocols() {
        if (this == DEFAULT || this == MAX_DEFAULT || this == TLSV1) return null;
        List<String> out = new ArrayList<>();
        for (int i = min; i <= max; i++) out.add(NAMES[i]);
        return out.toArray(String[]::new);
    }
}
