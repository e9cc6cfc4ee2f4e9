package dev.jnbdkit.plugins.curl;

import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.PluginException;

import java.net.http.HttpClient;

/**
 * {@code http-version=}: the values the plugin can honour, HTTP/1.1 on its own transport and
 * HTTP/2 on the JDK's client. HTTP/1.0, HTTP/2 with prior knowledge and HTTP/3 are refused (the
 * JDK 25 client speaks none of them).
 */
enum HttpVersionKey {
    /**
     * Let the client choose (the page's default), and it chooses HTTP/1.1 for http:// and
     * https:// alike: libcurl would offer HTTP/2 by ALPN on https://, but for one ranged GET per
     * NBD read over a pool of kept-alive connections HTTP/1.1 gives the same bytes for a fraction
     * of the CPU (docs/benchmarks.md). {@code 2TLS} or {@code 2.0} asks for HTTP/2.
     */
    NONE,
    V1_1,
    /** HTTP/2: upgrade from 1.1 on http://, ALPN on https:// (libcurl's 2.0). */
    V2,
    /** HTTP/2 over TLS only, 1.1 for http:// (libcurl's 2TLS, its default). */
    V2_TLS;

    static HttpVersionKey parse(String value) {
        return switch (value) {
            case "none" -> NONE;
            case "1.1" -> V1_1;
            case "2.0" -> V2;
            case "2TLS" -> V2_TLS;
            case "1.0", "2-prior-knowledge", "3", "3only" -> throw new PluginException(Errno.EINVAL,
                    "http-version=" + value + " is not supported by jnbdkit's curl plugin: the JDK's HTTP client speaks HTTP/1.1 and HTTP/2 only");
            default -> throw new PluginException(Errno.EINVAL, "unknown http-version: " + value);
        };
    }

    HttpClient.Version forScheme(String scheme) {
        boolean tls = scheme.equalsIgnoreCase("https");
        return switch (this) {
            case NONE, V1_1 -> HttpClient.Version.HTTP_1_1;
            case V2 -> HttpClient.Version.HTTP_2;
            case V2_TLS -> tls ? HttpClient.Version.HTTP_2 : HttpClient.Version.HTTP_1_1;
        };
    }
}
