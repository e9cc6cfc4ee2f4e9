package dev.jnbdkit.plugins.curl;

import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.PluginException;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.ProxySelector;
import java.net.SocketAddress;
import java.net.URI;
import java.util.List;
import java.util.Locale;

/**
 * Which HTTP proxy a request goes through, as libcurl chooses: {@code proxy=} if given (an empty
 * value: none), else the environment ({@code http_proxy} for http://, {@code https_proxy} or
 * {@code HTTPS_PROXY} for https://, then {@code all_proxy}/{@code ALL_PROXY}), except for hosts
 * {@code no_proxy}/{@code NO_PROXY} names. A proxy without a port is on 1080, libcurl's default.
 * Only HTTP proxies: the JDK's client has no SOCKS support, so {@code socks5://} is refused.
 */
final class ProxyChoice extends ProxySelector {
    private final InetSocketAddress fixed;
    private final boolean fromEnvironment;

    private ProxyChoice(InetSocketAddress fixed, boolean fromEnvironment) {
        this.fixed = fixed;
        this.fromEnvironment = fromEnvironment;
    }

    static ProxySelector of(String proxy) {
        if (proxy == null) return new ProxyChoice(null, true);
        if (proxy.isEmpty()) return new ProxyChoice(null, false);
        return new ProxyChoice(address("proxy", proxy), false);
    }

    static InetSocketAddress address(String key, String proxy) {
        String p = proxy.strip();
        String scheme = "http";
        int sep = p.indexOf("://");
        if (sep >= 0) {
            scheme = p.substring(0, sep).toLowerCase(Locale.ROOT);
            p = p.substring(sep + 3);
        }
        if (!scheme.equals("http")) {
            throw new PluginException(Errno.EINVAL, key + "=" + proxy
                    + ": jnbdkit's curl plugin supports http:// proxies only (the JDK's HTTP client has no " + scheme + " proxies)");
        }
        int slash = p.indexOf('/');
        if (slash >= 0) p = p.substring(0, slash);
        int at = p.lastIndexOf('@');
        if (at >= 0) p = p.substring(at + 1);
        int port = 1080;
        int colon = p.lastIndexOf(':');
        if (colon >= 0 && !p.endsWith("]")) {
            try {
                port = Integer.parseInt(p.substring(colon + 1));
            } catch (NumberFormatException e) {
                throw new PluginException(Errno.EINVAL, key + "=" + proxy + ": bad port number");
            }
            p = p.substring(0, colon);
        }
        if (p.startsWith("[") && p.endsWith("]")) p = p.substring(1, p.length() - 1);
        if (p.isEmpty()) throw new PluginException(Errno.EINVAL, key + "=" + proxy + ": no host name");
        return InetSocketAddress.createUnresolved(p, port);
    }

    @Override
    public List<Proxy> select(URI uri) {
        InetSocketAddress a = fixed;
        if (a == null && fromEnvironment) a = environment(uri);
        return a == null ? List.of(Proxy.NO_PROXY) : List.of(new Proxy(Proxy.Type.HTTP, a));
    }

    private static InetSocketAddress environment(URI uri) {
        String scheme = uri.getScheme().toLowerCase(Locale.ROOT);
        String value = scheme.equals("https") ? env("https_proxy", "HTTPS_PROXY") : env("http_proxy", null);
        if (value == null) value = env("all_proxy", "ALL_PROXY");
        if (value == null || value.isEmpty() || excluded(uri.getHost())) return null;
        return address(scheme.equals("https") ? "https_proxy" : "http_proxy", value);
    }

    private static boolean excluded(String host) {
        String list = env("no_proxy", "NO_PROXY");
        if (list == null) return false;
        String h = host.toLowerCase(Locale.ROOT);
        for (String entry : list.split(",")) {
            String e = entry.strip().toLowerCase(Locale.ROOT);
            if (e.equals("*")) return true;
            if (e.startsWith(".")) e = e.substring(1);
            if (!e.isEmpty() && (h.equals(e) || h.endsWith("." + e))) return true;
        }
        return false;
    }

    private static String env(String lower, String upper) {
        String v = System.getenv(lower);
        if (v == null && upper != null) v = System.getenv(upper);
        return v;
    }

    @Override
    public void connectFailed(URI uri, SocketAddress sa, IOException ioe) {}
}
