package dev.jnbdkit.plugins.curl;

import dev.jnbdkit.plugins.PluginVersion;
import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.Handle;
import dev.jnbdkit.spi.Nbdkit;
import dev.jnbdkit.spi.Numbers;
import dev.jnbdkit.spi.OpenContext;
import dev.jnbdkit.spi.Passwords;
import dev.jnbdkit.spi.Plugin;
import dev.jnbdkit.spi.PluginException;
import dev.jnbdkit.spi.Sizes;
import dev.jnbdkit.spi.ThreadModel;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code curl}: a disk image served over HTTP or HTTPS, nbdkit-curl-plugin(1), with no libcurl and
 * no extra dependency: HTTP/1.1, plain or over TLS, on {@link Http1Transport}; HTTP/2 (where
 * {@code http-version=} asks for it) on the JDK's {@link java.net.http.HttpClient}. The size comes from a HEAD
 * request (or, where HEAD fails or gives no length, a one-byte ranged GET); reads are ranged GETs
 * that must be answered 206; writes are PUTs with a {@code Content-Range}. Connections to the web
 * server are a pool shared by every NBD client ({@code connections=}, default 4), as nbdkit 1.34.
 *
 * <p>The keys libcurl implements and the JDK cannot (other protocols than http/https, Unix
 * sockets, HTTP/1.0 and HTTP/3, SSLv2/3, OpenSSL cipher names, socket options) are refused at
 * start with a message that says so, never ignored.
 */
public final class CurlPlugin implements Plugin {
    private final CurlSettings s = new CurlSettings();
    private HttpSession session;

    public CurlPlugin() {}

    @Override public String name() { return "curl"; }

    @Override public String version() { return PluginVersion.VERSION; }

    @Override public String longname() { return "nbdkit curl plugin"; }

    @Override public String description() { return "Serves a disk image over HTTP or HTTPS."; }

    @Override public String magicConfigKey() { return "url"; }

    @Override
    public String configHelp() {
        return """
                cainfo=<CAINFO>            Path to Certificate Authority file.
                capath=<CAPATH>            Path to directory with CA certificates.
                connections=<N>            Number of web server connections (default 4).
                cookie=<COOKIE>            Set HTTP/HTTPS cookies.
                cookiefile=                Enable cookie processing.
                cookiefile=<FILENAME>      Read cookies from file.
                cookiejar=<FILENAME>       Read and write cookies to jar.
                cookie-script=<SCRIPT>     Script to set HTTP/HTTPS cookies.
                cookie-script-renew=<SECS> Time to renew HTTP/HTTPS cookies.
                followlocation=false       Do not follow redirects.
                header=<HEADER>            Set HTTP/HTTPS header.
                header-script=<SCRIPT>     Script to set HTTP/HTTPS headers.
                header-script-renew=<SECS> Time to renew HTTP/HTTPS headers.
                http-version=none|1.1|2.0|2TLS
                                           Force a particular HTTP protocol.
                password=<PASSWORD>        The password for the user account.
                protocols=PROTO,PROTO,..   Limit protocols allowed.
                proxy=<PROXY>              Set proxy URL.
                proxy-password=<PASSWORD>  The proxy password.
                proxy-user=<USER>          The proxy user.
                sslverify=false            Do not verify SSL certificate of remote host.
                ssl-cipher-list=C1:C2:..   Specify TLS/SSL cipher suites to be used.
                ssl-version=<VERSION>      Specify preferred TLS/SSL version.
                timeout=<TIMEOUT>          Set the timeout for requests (seconds).
                tls13-ciphers=C1:C2:..     Specify TLS 1.3 cipher suites to be used.
                url=<URL>       (required) The disk image URL to serve.
                user=<USER>                The user to log in as.
                user-agent=<USER-AGENT>    Send user-agent header for HTTP/HTTPS.""";
    }

    @Override
    public boolean debugFlag(String flag, int value) {
        switch (flag) {
            case "scripts" -> s.debugScripts = value != 0;
            case "verbose" -> s.verbose = value != 0;
            default -> { return false; }
        }
        return true;
    }

    @Override
    public void config(String key, String value) {
        switch (key) {
            case "url" -> s.url = value;
            case "user" -> s.user = value;
            case "password" -> s.password = password(value);
            case "cookie" -> s.cookie = password(value);
            case "cookiefile" -> s.cookieFile = value;
            case "cookiejar" -> s.cookieJar = value;
            case "cookie-script" -> s.cookieScript = value;
            case "cookie-script-renew" -> s.cookieScriptRenew = renew(key, value);
            case "header" -> s.headers.add(HeaderLine.parse(value));
            case "header-script" -> s.headerScript = value;
            case "header-script-renew" -> s.headerScriptRenew = renew(key, value);
            case "sslverify" -> s.sslVerify = Sizes.parseBool(value);
            case "cainfo" -> s.caInfo = value;
            case "capath" -> s.caPath = value;
            case "timeout" -> s.timeoutSeconds = timeout(value);
            case "followlocation" -> s.followLocation = Sizes.parseBool(value);
            case "connections" -> s.connections = connections(value);
            case "user-agent" -> s.userAgent = value;
            case "proxy" -> s.proxy = value;
            case "proxy-user" -> s.proxyUser = value;
            case "proxy-password" -> s.proxyPassword = password(value);
            case "protocols" -> s.protocols = protocols(value);
            case "http-version" -> s.httpVersion = HttpVersionKey.parse(value);
            case "ssl-version" -> s.sslVersion = SslVersionKey.parse(value);
            case "ssl-cipher-list" -> s.cipherList = value;
            case "tls13-ciphers" -> s.tls13Ciphers = value;
            case "tcp-keepalive" -> unsupportedUnless(key, value, false,
                    "the JDK's HTTP client does not set SO_KEEPALIVE");
            case "tcp-nodelay" -> unsupportedUnless(key, value, true,
                    "the JDK's HTTP client always disables Nagle's algorithm");
            case "unix-socket-path" -> throw new PluginException(Errno.EINVAL,
                    "unix-socket-path is not supported by jnbdkit's curl plugin: the JDK's HTTP client cannot connect to Unix domain sockets");
            default -> throw new PluginException(Errno.EINVAL, "unknown parameter '" + key + "'");
        }
    }

    @Override
    public void configComplete() {
        if (s.url == null) {
            throw new PluginException(Errno.EINVAL,
                    "you must supply the url=<URL> parameter after the plugin name on the command line");
        }
        if (s.headerScript != null && !s.headers.isEmpty()) {
            throw new PluginException(Errno.EINVAL, "header and header-script cannot be used at the same time");
        }
        if (s.headerScript == null && s.headerScriptRenew > 0) {
            throw new PluginException(Errno.EINVAL, "header-script-renew cannot be used without header-script");
        }
        if (s.cookieScript != null && s.cookie != null) {
            throw new PluginException(Errno.EINVAL, "cookie and cookie-script cannot be used at the same time");
        }
        if (s.cookieScript == null && s.cookieScriptRenew > 0) {
            throw new PluginException(Errno.EINVAL, "cookie-script-renew cannot be used without cookie-script");
        }
        s.uri = parseUrl(s.url);
        String scheme = s.uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new PluginException(Errno.EINVAL, "url: " + s.url + ": jnbdkit's curl plugin serves http:// and https:// URLs only "
                    + "(the JDK's HTTP client has no " + scheme + ":// support)");
        }
    }

    /** The page's "nbdkit ≥ 1.34" model: one pool of web connections shared by all clients. */
    @Override public ThreadModel threadModel() { return ThreadModel.PARALLEL; }

    @Override
    public void getReady() {
        session = new HttpSession(s);
    }

    @Override public Class<? extends Handle> handleType() { return CurlHandle.class; }

    @Override
    public Handle open(OpenContext context) {
        return CurlHandle.open(session, context.readonly());
    }

    @Override
    public void cleanup() {
        if (session != null) session.close();
    }

    static void debug(String message) { Nbdkit.debug("curl: " + message); }

    private static String password(String value) {
        byte[] p = Passwords.read(value);
        String text = new String(p, StandardCharsets.UTF_8);
        java.util.Arrays.fill(p, (byte) 0);
        return text;
    }

    /** nbdkit_parse_unsigned for a renew interval in seconds. */
    private static long renew(String key, String value) {
        return Numbers.parseUnsigned(key, value);
    }

    /** Seconds, nbdkit_parse_unsigned's way (a negative number is refused as nbdkit does). */
    private static long timeout(String value) {
        return Numbers.parseUnsigned("timeout", value);
    }

    private static int connections(String value) {
        long n = Numbers.parseUnsigned("connections", value);
        if (n == 0 || n > 1024) {
            throw new PluginException(Errno.EINVAL, "connections parameter must not be 0 or larger than 1024");
        }
        return (int) n;
    }

    private static List<String> protocols(String value) {
        List<String> out = new ArrayList<>();
        for (String p : value.split(",")) {
            String proto = p.strip().toLowerCase(Locale.ROOT);
            if (!proto.isEmpty()) out.add(proto);
        }
        return out;
    }

    private static void unsupportedUnless(String key, String value, boolean allowed, String why) {
        if (Sizes.parseBool(value) != allowed) {
            throw new PluginException(Errno.EINVAL, key + "=" + value + " is not supported by jnbdkit's curl plugin: " + why);
        }
    }

    /**
     * The URL as libcurl would take it: a missing scheme means http, as curl guesses; user
     * information ({@code http://user:pass@host/}) is kept for the session to turn into Basic
     * authentication.
     */
    static URI parseUrl(String url) {
        String u = url.contains("://") ? url : "http://" + url;
        try {
            URI uri = new URI(u);
            if (uri.getHost() == null) throw new URISyntaxException(u, "no host name");
            return uri;
        } catch (URISyntaxException e) {
            throw new PluginException(Errno.EINVAL, "url: " + url + ": URL using bad/illegal format or missing URL: " + e.getReason());
        }
    }
}
