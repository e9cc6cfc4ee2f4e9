package dev.jnbdkit.plugins.nbd;

import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.PluginException;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An NBD URI (the NBD URI specification, as libnbd reads it): {@code nbd://host[:port]/export},
 * {@code nbds://} (TLS required), {@code nbd+unix:///export?socket=PATH}, {@code nbds+unix://}.
 * A user name ({@code nbds://alice@host/}) is the TLS-PSK identity; the query may give
 * {@code tls-psk-file=} and {@code tls-certificates=}.
 */
record NbdUri(Target target, String export, boolean tls, String username, Path pskFile, Path certificates) {
    static final int DEFAULT_PORT = 10809;

    static NbdUri parse(String text) {
        URI u;
        try {
            u = new URI(text);
        } catch (URISyntaxException e) {
            throw bad(text, e.getReason());
        }
        String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(java.util.Locale.ROOT);
        boolean tls = scheme.startsWith("nbds");
        Map<String, String> query = query(u.getRawQuery());
        String path = u.getRawPath() == null ? "" : u.getRawPath();
        String export = decode(path.startsWith("/") ? path.substring(1) : path);
        Path psk = query.containsKey("tls-psk-file") ? Path.of(query.get("tls-psk-file")) : null;
        Path certs = query.containsKey("tls-certificates") ? Path.of(query.get("tls-certificates")) : null;
        String user = u.getRawUserInfo() == null ? null : decode(u.getRawUserInfo());
        // "nbds+unix://alice@/..." has no host, so java.net.URI keeps it as a registry authority.
        String authority = u.getRawAuthority();
        if (user == null && authority != null && authority.contains("@")) {
            user = decode(authority.substring(0, authority.lastIndexOf('@')));
        }
        Target target = switch (scheme) {
            case "nbd", "nbds" -> {
                String host = u.getHost();
                if (host == null || host.isEmpty()) host = "localhost";
                if (host.startsWith("[") && host.endsWith("]")) host = host.substring(1, host.length() - 1);
                yield new Target.Tcp(host, u.getPort() < 0 ? DEFAULT_PORT : u.getPort());
            }
            case "nbd+unix", "nbds+unix" -> {
                String sock = query.get("socket");
                if (sock == null || sock.isEmpty()) throw bad(text, "a Unix socket URI needs ?socket=PATH");
                yield new Target.Unix(Path.of(sock));
            }
            case "nbd+vsock", "nbds+vsock" -> throw new PluginException(Errno.ENOTSUP, "uri: " + text
                    + ": AF_VSOCK is not supported by jnbdkit");
            default -> throw bad(text, "unknown scheme '" + u.getScheme() + "' (nbd, nbds, nbd+unix, nbds+unix)");
        };
        return new NbdUri(target, export, tls, user, psk, certs);
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> m = new LinkedHashMap<>();
        if (raw == null || raw.isEmpty()) return m;
        for (String part : raw.split("&")) {
            int eq = part.indexOf('=');
            if (eq < 0) m.put(decode(part), "");
            else m.put(decode(part.substring(0, eq)), decode(part.substring(eq + 1)));
        }
        return m;
    }

    private static String decode(String s) {
        // Percent-decoding only: a '+' in an NBD URI is a plus, not a space.
        return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    private static PluginException bad(String text, String why) {
        return new PluginException(Errno.EINVAL, "uri: " + text + ": " + why);
    }
}
