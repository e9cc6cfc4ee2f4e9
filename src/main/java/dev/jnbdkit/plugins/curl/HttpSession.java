package dev.jnbdkit.plugins.curl;

import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.PluginException;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.ProxySelector;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntFunction;

/**
 * What every NBD connection of the curl plugin shares: the connection pools (HTTP/1.1 on
 * {@link Http1Transport}, over TLS for https://; HTTP/2 on one {@link HttpClient}), a limit of
 * {@code connections=} requests in flight to the web server, the header and
 * cookie scripts, and how one request is made: the headers libcurl would send (Accept, the
 * user agent, Basic authentication, the cookie, the user's headers), redirects followed by hand
 * (so {@code protocols=} applies to them and credentials stay with the first host), the
 * {@code timeout=} over the whole request, and failures in libcurl's words.
 */
final class HttpSession implements AutoCloseable {
    /** libcurl's default limit on redirects (CURLOPT_MAXREDIRS, curl ≥ 8.3). */
    private static final int MAX_REDIRECTS = 30;

    private final CurlSettings s;
    private final URI target;
    private final String basicAuth;
    private final String proxyAuth;
    private final ProxySelector proxies;
    /** The JDK's client: HTTP/2 where asked for. */
    private final HttpClient client;
    /** HTTP/1.1, plain or over TLS: the hot path of reads. */
    private final Http1Transport http1;
    private final Semaphore slots;
    private final RenewedScript headerScript;
    private final RenewedScript cookieScript;
    private final CookieJar cookies;

    HttpSession(CurlSettings s) {
        this.s = s;
        this.target = withoutUserInfo(s.uri);
        this.basicAuth = basic(s.user, s.password, s.uri.getRawUserInfo());
        this.proxyAuth = s.proxyUser == null ? null : basic(s.proxyUser, s.proxyPassword, null);
        this.cookies = CookieJar.of(s.cookieFile, s.cookieJar);
        this.proxies = ProxyChoice.of(s.proxy);
        HttpClient.Builder b = HttpClient.newBuilder()
                .followRedirects(HttpClient.Redirect.NEVER)
                .proxy(proxies);
        if (cookies != null) b.cookieHandler(cookies.manager());
        if (s.timeoutSeconds > 0) b.connectTimeout(Duration.ofSeconds(s.timeoutSeconds));
        // Also for http:// URLs: a redirect may lead to https://.
        SSLContext ctx = TrustSettings.context(s);
        SSLParameters tls = TrustSettings.parameters(s, ctx);
        b.sslContext(ctx).sslParameters(tls);
        this.client = b.build();
        this.http1 = new Http1Transport(TimeUnit.SECONDS.toMillis(s.timeoutSeconds), ctx, tls, s.sslVerify);
        this.slots = new Semaphore(s.connections, true);
        this.headerScript = s.headerScript == null ? null
                : new RenewedScript("header-script", s.headerScript, s.url, s.headerScriptRenew, s.debugScripts);
        this.cookieScript = s.cookieScript == null ? null
                : new RenewedScript("cookie-script", s.cookieScript, s.url, s.cookieScriptRenew, s.debugScripts);
    }

    URI target() { return target; }

    /** The URL as the user gave it, for messages (nbdkit prints it in brackets). */
    String url() { return s.url; }

    /**
     * One request with its redirects. {@code extra} headers (Range, Content-Range) come after
     * the user's; {@code upload} is the request body (null: none); {@code into} picks where the
     * reply's body goes from its status (null: nowhere). HTTP statuses of 400 and above fail with
     * libcurl's FAILONERROR message; a redirect not followed ({@code followlocation=false}) is
     * returned as it is, as libcurl does.
     */
    Reply send(String what, String method, Map<String, String> extra, MemorySegment upload, IntFunction<MemorySegment> into) {
        URI uri = target;
        for (int hop = 0; ; hop++) {
            checkProtocol(uri, what);
            Reply r = exchange(what, uri, method, headers(uri, extra), upload, into);
            int status = r.status();
            Optional<String> location = r.headers().firstValue("location");
            if (s.followLocation && isRedirect(status) && location.isPresent()) {
                if (hop >= MAX_REDIRECTS) {
                    throw new PluginException(Errno.EIO, what + ": Number of redirects hit maximum amount: Maximum ("
                            + MAX_REDIRECTS + ") redirects followed");
                }
                if (status == 303 && !method.equals("GET") && !method.equals("HEAD")) {
                    throw new PluginException(Errno.EIO, what + ": " + method + " redirected with 303 See Other to " + location.get());
                }
                uri = resolve(what, uri, location.get());
                if (s.verbose) CurlPlugin.debug("redirected (" + status + ") to " + uri);
                continue;
            }
            if (status >= 400) throw CurlErrors.status(what, status);
            return r;
        }
    }

    private static boolean isRedirect(int status) {
        return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
    }

    /** One hop, within the {@code connections=} limit, on whichever transport serves the URL. */
    private Reply exchange(String what, URI uri, String method, List<HeaderLine> headers, MemorySegment upload,
                           IntFunction<MemorySegment> into) {
        try {
            slots.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PluginException(CurlErrors.EINTR, what + ": interrupted");
        }
        try {
            if (s.verbose) {
                CurlPlugin.debug(method + " " + uri + " " + String.join(", ", headers.stream().map(h -> h.name() + ": " + h.value()).toList()));
            }
            InetSocketAddress proxy = plainProxy(uri);
            if (proxy != null) return http1Exchange(what, uri, proxy == DIRECT ? null : proxy, method, headers, upload, into);
            return clientExchange(what, uri, method, headers, upload, into);
        } finally {
            slots.release();
        }
    }

    /** Marks "no proxy" for {@link #plainProxy}. */
    private static final InetSocketAddress DIRECT = InetSocketAddress.createUnresolved("direct", 0);

    /**
     * Where an HTTP/1.1 request to {@code uri} on {@link Http1Transport} connects: {@link #DIRECT}
     * or an HTTP proxy (a CONNECT tunnel for https://); null where the JDK's client must make it
     * (HTTP/2 asked for with http-version=2.0 or 2TLS).
     */
    private InetSocketAddress plainProxy(URI uri) {
        if (s.httpVersion.forScheme(uri.getScheme()) != HttpClient.Version.HTTP_1_1) return null;
        Proxy p = proxies.select(uri).getFirst();
        return p.type() == Proxy.Type.DIRECT ? DIRECT : p.type() == Proxy.Type.HTTP ? (InetSocketAddress) p.address() : null;
    }

    private Reply http1Exchange(String what, URI uri, InetSocketAddress proxy, String method, List<HeaderLine> headers,
                                MemorySegment upload, IntFunction<MemorySegment> into) {
        List<HeaderLine> all = headers;
        if (cookies != null) {
            all = new ArrayList<>(headers);
            try {
                // what the JDK's client does with a cookie handler: its cookies after the request's own
                for (String c : cookies.manager().get(uri, Map.of()).getOrDefault("Cookie", List.of())) {
                    all.add(new HeaderLine("Cookie", c, false));
                }
            } catch (IOException e) {
                throw CurlErrors.transport(what, uri, e);
            }
        }
        try {
            Reply r = http1.exchange(uri, proxy, method, all, upload, into);
            if (cookies != null) cookies.manager().put(uri, r.headers().map());
            return r;
        } catch (IOException | TimeoutException e) {
            // an interrupt closes the channel (ClosedByInterruptException): say so, as the other transport does
            if (Thread.currentThread().isInterrupted()) throw new PluginException(CurlErrors.EINTR, what + ": interrupted");
            throw CurlErrors.transport(what, uri, e);
        }
    }

    private Reply clientExchange(String what, URI uri, String method, List<HeaderLine> headers, MemorySegment upload,
                                 IntFunction<MemorySegment> into) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri)
                .method(method, upload == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(upload.toArray(ValueLayout.JAVA_BYTE)))
                .version(s.httpVersion.forScheme(uri.getScheme()));
        if (s.timeoutSeconds > 0) b.timeout(Duration.ofSeconds(s.timeoutSeconds));
        for (HeaderLine h : headers) b.header(h.name(), h.value());
        AtomicReference<SegmentBody> current = new AtomicReference<>();
        HttpResponse.BodyHandler<Long> handler = info -> {
            if (into == null) return HttpResponse.BodySubscribers.replacing(0L);
            SegmentBody body = new SegmentBody(into.apply(info.statusCode()));
            current.set(body);
            return body;
        };
        // Once the read has given up, the buffer belongs to the server again: no late data may land in it.
        Runnable cutOff = () -> { SegmentBody body = current.get(); if (body != null) body.close(); };
        CompletableFuture<HttpResponse<Long>> f = null;
        try {
            f = client.sendAsync(b.build(), handler);
            HttpResponse<Long> r = s.timeoutSeconds > 0 ? f.get(s.timeoutSeconds, TimeUnit.SECONDS) : f.get();
            return new Reply(r.statusCode(), r.headers(), r.body());
        } catch (TimeoutException e) {
            f.cancel(true);
            cutOff.run();
            throw CurlErrors.transport(what, uri, e);
        } catch (ExecutionException e) {
            throw CurlErrors.transport(what, uri, e.getCause() == null ? e : e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            if (f != null) f.cancel(true);
            cutOff.run();
            throw new PluginException(CurlErrors.EINTR, what + ": interrupted");
        }
    }

    /** The request's headers, in order: libcurl's own, then the user's (which may replace or remove them), then {@code extra}. */
    private List<HeaderLine> headers(URI uri, Map<String, String> extra) {
        List<HeaderLine> headers = new ArrayList<>();
        headers.add(new HeaderLine("Accept", "*/*", false));
        if (s.userAgent != null) headers.add(new HeaderLine("User-Agent", s.userAgent, false));
        // Credentials go to the host the user named, not to one a redirect points at (libcurl's default).
        if (basicAuth != null && sameOrigin(uri, target)) headers.add(new HeaderLine("Authorization", basicAuth, false));
        if (proxyAuth != null) headers.add(new HeaderLine("Proxy-Authorization", proxyAuth, false));
        String cookie = cookie();
        if (cookie != null) headers.add(new HeaderLine("Cookie", cookie, false));
        for (HeaderLine h : userHeaders()) {
            headers.removeIf(have -> have.named(h.name()));
            if (!h.remove()) headers.add(h);
        }
        extra.forEach((k, v) -> headers.add(new HeaderLine(k, v, false)));
        return headers;
    }

    private List<HeaderLine> userHeaders() {
        if (headerScript == null) return s.headers;
        List<HeaderLine> out = new ArrayList<>();
        for (String line : headerScript.lines()) out.add(HeaderLine.parse(line));
        return out;
    }

    private String cookie() {
        if (cookieScript != null) {
            List<String> lines = cookieScript.lines();
            return lines.isEmpty() ? null : lines.getFirst().strip();
        }
        return s.cookie;
    }

    /** {@code protocols=}: the scheme of the URL, and of every redirect, must be in the list. */
    private void checkProtocol(URI uri, String what) {
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (s.protocols != null && !s.protocols.contains(scheme)) {
            throw new PluginException(Errno.EPERM, what + ": Unsupported protocol: Protocol \"" + scheme
                    + "\" not supported or disabled in libcurl");
        }
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new PluginException(Errno.EPERM, what + ": Unsupported protocol: Protocol \"" + scheme
                    + "\" not supported by jnbdkit's curl plugin");
        }
    }

    private static URI resolve(String what, URI base, String location) {
        try {
            return withoutUserInfo(base.resolve(new URI(location.strip())));
        } catch (URISyntaxException | IllegalArgumentException e) {
            throw new PluginException(Errno.EIO, what + ": bad redirect location: " + location);
        }
    }

    private static boolean sameOrigin(URI a, URI b) {
        return a.getScheme().equalsIgnoreCase(b.getScheme()) && a.getHost().equalsIgnoreCase(b.getHost())
                && Http1Transport.port(a) == Http1Transport.port(b);
    }

    /** {@code user=}/{@code password=}, else the URL's {@code user:password@}: a Basic credential. */
    private static String basic(String user, String password, String rawUserInfo) {
        if (user == null && rawUserInfo != null) {
            int colon = rawUserInfo.indexOf(':');
            user = URLDecoder.decode(colon < 0 ? rawUserInfo : rawUserInfo.substring(0, colon), StandardCharsets.UTF_8);
            if (password == null && colon >= 0) {
                password = URLDecoder.decode(rawUserInfo.substring(colon + 1), StandardCharsets.UTF_8);
            }
        }
        if (user == null) return null;
        String pair = user + ":" + (password == null ? "" : password);
        return "Basic " + Base64.getEncoder().encodeToString(pair.getBytes(StandardCharsets.UTF_8));
    }

    private static URI withoutUserInfo(URI u) {
        String authority = u.getRawAuthority();
        if (u.getRawUserInfo() == null || authority == null) return u;
        String text = u.getScheme() + "://" + authority.substring(authority.lastIndexOf('@') + 1)
                + (u.getRawPath() == null ? "" : u.getRawPath()) + (u.getRawQuery() == null ? "" : "?" + u.getRawQuery());
        try {
            return new URI(text);
        } catch (URISyntaxException e) {
            throw new PluginException(Errno.EINVAL, "url: " + u + ": " + e.getMessage());
        }
    }

    @Override
    public void close() {
        if (cookies != null) cookies.save();
        http1.close();
        client.close();
    }
}
