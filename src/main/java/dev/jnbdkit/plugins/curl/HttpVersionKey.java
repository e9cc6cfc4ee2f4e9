package dev.jnbdkit.plugins.curl;

import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.PluginException;

import java.net.http.HttpClient;

/**
 * {@code http-version=}: the values the JDK's client can honour. HTTP/1.0, HTTP/2 with prior
 * knowledge and HTTP/3 are refused (the JDK 25 client speaks none of them).
 */
enum HttpVersionKey {
    /** Let the client choose: HTTP/1.1 for http://, HTTP/2 negotiated by ALPN for https://. */
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
            case V1_1 -> HttpClient.Version.HTTP_1_1;
            case V2 -> HttpClient.Version.HTTP_2;
            case NONE, V2_TLS -> tls ? HttpClient.Version.HTTP_2 : HttpClient.Version.HTTP_1_1;
        };
    }
}
