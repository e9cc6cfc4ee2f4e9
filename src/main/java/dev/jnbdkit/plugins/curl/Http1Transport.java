package dev.jnbdkit.plugins.curl;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpConnectTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.IntFunction;

/**
 * HTTP/1.1 (http:// directly or through an HTTP proxy, https:// over JSSE's TLS, directly or
 * through a proxy's CONNECT tunnel) on the
 * caller's thread, over a pool of keep-alive connections per scheme and host: what the JDK's
 * HttpClient costs per byte (a heap buffer of garbage per 16 KiB read, copied twice, and two
 * thread hand-offs per request) is most of what a read costs, so the requests that need none of
 * its features (HTTP/2) skip it. {@code timeout=} bounds the
 * whole request, the TLS handshake included: a timer closes the socket when it runs out.
 */
final class Http1Transport implements AutoCloseable {
    private final long timeoutMillis;
    /** The TLS side for https://: the context and parameters the JDK's client gets too (TrustSettings). */
    private final SSLContext tls;
    private final SSLParameters tlsParameters;
    private final boolean verifyHost;
    private final Map<String, ConcurrentLinkedDeque<Http1Connection>> idle = new ConcurrentHashMap<>();
    private volatile ScheduledExecutorService timer;
    private volatile boolean closed;

    /** {@code timeoutMillis} 0: no limit; plain http:// only. */
    Http1Transport(long timeoutMillis) { this(timeoutMillis, null, null, false); }

    /** {@code verifyHost}: check the certificate names the host (sslverify=true). */
    Http1Transport(long timeoutMillis, SSLContext tls, SSLParameters tlsParameters, boolean verifyHost) {
        this.timeoutMillis = timeoutMillis;
        this.tls = tls;
        this.tlsParameters = tlsParameters;
        this.verifyHost = verifyHost;
    }

    /**
     * One request to {@code uri} ({@code proxy} null: directly; for https://, through a
     * CONNECT tunnel). {@code headers} are sent as they are, after {@code Host}, except that
     * through a tunnel {@code Proxy-Authorization} goes to the proxy's CONNECT and not to the
     * web server (as libcurl sends proxy-user=); {@code upload} is the request body (null: none).
     */
    Reply exchange(URI uri, InetSocketAddress proxy, String method, List<HeaderLine> headers, MemorySegment upload,
                   IntFunction<MemorySegment> into) throws IOException, TimeoutException {
        long deadline = timeoutMillis > 0 ? System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis) : 0;
        boolean https = uri.getScheme().equalsIgnoreCase("https");
        if (https && tls == null) throw new IllegalArgumentException("https:// needs a TLS context: " + uri);
        boolean tunnel = https && proxy != null;
        List<HeaderLine> toProxy = List.of();
        if (tunnel) {
            toProxy = headers.stream().filter(h -> h.named("Proxy-Authorization")).toList();
            headers = headers.stream().filter(h -> !h.named("Proxy-Authorization")).toList();
        }
        ByteBuffer head = head(uri, proxy != null && !tunnel, method, headers, upload);
        String origin = uri.getHost() + ":" + port(uri);
        String key = (https ? "https " : "http ") + origin;
        if (proxy != null) key = (tunnel ? "tunnel " + origin + " via " : "proxy ") + proxy.getHostString() + ":" + proxy.getPort();
        boolean retried = false;
        while (true) {
            Http1Connection c = retried ? null : idle.computeIfAbsent(key, k -> new ConcurrentLinkedDeque<>()).pollFirst();
            boolean reused = c != null;
            if (c == null) {
                InetSocketAddress where = proxy != null ? proxy : InetSocketAddress.createUnresolved(uri.getHost(), port(uri));
                c = connect(where, https ? bare(uri.getHost()) : null, port(uri), tunnel ? connectHead(origin, toProxy) : null, deadline);
            }
            AtomicBoolean expired = new AtomicBoolean();
            ScheduledFuture<?> alarm = deadline == 0 ? null : alarm(c, expired, deadline);
            boolean ok = false;
            try {
                Reply r = c.exchange(head.duplicate(), upload, method.equals("HEAD"), into);
                ok = true;
                return r;
            } catch (IOException e) {
                if (expired.get()) throw new TimeoutException();
                // The server closed a kept-alive connection while it was idle (an EOF or a reset
                // before any byte of the reply): once more on a new one.
                if (!reused || c.receivedAny()) throw e;
                retried = true;
            } finally {
                if (alarm != null) alarm.cancel(false);
                if (ok && c.reusable() && !expired.get() && !closed) {
                    idle.get(key).offerFirst(c);
                } else {
                    c.close();
                }
            }
        }
    }

    /** An IPv6 literal without the URL's brackets, as TLS names it. */
    private static String bare(String host) {
        return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    }

    /** The URL's port, else its scheme's default (for connecting, origins and libcurl's messages). */
    static int port(URI u) { return u.getPort() >= 0 ? u.getPort() : u.getScheme().equalsIgnoreCase("https") ? 443 : 80; }

    /** The request line and headers: the absolute URL as the target when through a proxy (RFC 9112 3.2.2). */
    private static ByteBuffer head(URI uri, boolean viaProxy, String method, List<HeaderLine> headers, MemorySegment upload) {
        StringBuilder b = new StringBuilder(256).append(method).append(' ');
        String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
        if (viaProxy) b.append(uri.getScheme()).append("://").append(uri.getRawAuthority());
        b.append(path);
        if (uri.getRawQuery() != null) b.append('?').append(uri.getRawQuery());
        b.append(" HTTP/1.1\r\n");
        boolean host = false;
        for (HeaderLine h : headers) host |= h.named("Host");
        // libcurl's way: a user's Host header replaces the one it would send
        if (!host) b.append("Host: ").append(uri.getRawAuthority()).append("\r\n");
        for (HeaderLine h : headers) b.append(h.name()).append(": ").append(h.value()).append("\r\n");
        if (upload != null) b.append("Content-Length: ").append(upload.byteSize()).append("\r\n");
        b.append("\r\n");
        return ByteBuffer.wrap(b.toString().getBytes(StandardCharsets.ISO_8859_1));
    }

    /** {@code CONNECT host:port} (RFC 9110 9.3.6) with the proxy's credentials. */
    private static ByteBuffer connectHead(String origin, List<HeaderLine> toProxy) {
        StringBuilder b = new StringBuilder(128).append("CONNECT ").append(origin).append(" HTTP/1.1\r\nHost: ").append(origin).append("\r\n");
        for (HeaderLine h : toProxy) b.append(h.name()).append(": ").append(h.value()).append("\r\n");
        return ByteBuffer.wrap(b.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1));
    }

    /**
     * A new connection to {@code where}, with TLS to {@code tlsHost}:{@code tlsPort} over it
     * unless that is null; {@code connect} (not null) first asks the proxy at {@code where} for a
     * tunnel, within the deadline.
     */
    private Http1Connection connect(InetSocketAddress where, String tlsHost, int tlsPort, ByteBuffer connect, long deadline)
            throws IOException, TimeoutException {
        InetSocketAddress a = new InetSocketAddress(where.getHostString(), where.getPort());
        if (a.isUnresolved()) throw new UnknownHostException(where.getHostString());
        SocketChannel ch = SocketChannel.open();
        try {
            ch.socket().setTcpNoDelay(true);
            if (deadline == 0) {
                ch.connect(a);
            } else {
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (left <= 0) throw new TimeoutException();
                ch.socket().connect(a, (int) Math.min(left, Integer.MAX_VALUE));
            }
            if (connect != null) tunnel(ch, connect, deadline);
            Wire wire = tlsHost == null ? new Wire.Plain(ch)
                    : TlsWire.over(ch, tls, tlsParameters, verifyHost, tlsHost, tlsPort);
            return new Http1Connection(wire);
        } catch (SocketTimeoutException e) {
            ch.close();
            throw new HttpConnectTimeoutException("connect timed out to " + where);
        } catch (IOException | TimeoutException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /**
     * The proxy's answer to CONNECT: any 2xx opens the tunnel (nothing follows it until the TLS
     * client speaks first, so no byte of the tunnel is read here); anything else is refused.
     */
    private void tunnel(SocketChannel ch, ByteBuffer connect, long deadline) throws IOException, TimeoutException {
        Http1Connection proxy = new Http1Connection(new Wire.Plain(ch));
        AtomicBoolean expired = new AtomicBoolean();
        ScheduledFuture<?> alarm = deadline == 0 ? null : alarm(proxy, expired, deadline);
        try {
            int status = proxy.exchange(connect, null, true, null).status();
            if (status / 100 != 2) throw new ConnectException("CONNECT tunnel failed, response " + status);
        } catch (IOException e) {
            if (expired.get()) throw new TimeoutException();
            throw e;
        } finally {
            if (alarm != null) alarm.cancel(false);
        }
    }

    /** Closes {@code c} at the deadline: its blocked read or write then fails, and {@code expired} says why. */
    private ScheduledFuture<?> alarm(Http1Connection c, AtomicBoolean expired, long deadline) throws TimeoutException {
        long left = deadline - System.nanoTime();
        if (left <= 0) throw new TimeoutException();
        return timer().schedule(() -> {
            expired.set(true);
            c.close();
        }, left, TimeUnit.NANOSECONDS);
    }

    private ScheduledExecutorService timer() {
        ScheduledExecutorService t = timer;
        if (t == null) {
            synchronized (this) {
                if (timer == null) {
                    ScheduledThreadPoolExecutor e = new ScheduledThreadPoolExecutor(1, r -> {
                        Thread th = new Thread(r, "curl-timeout");
                        th.setDaemon(true);
                        return th;
                    });
                    e.setRemoveOnCancelPolicy(true);
                    timer = e;
                }
                t = timer;
            }
        }
        return t;
    }

    @Override
    public void close() {
        closed = true;
        idle.values().forEach(q -> q.forEach(Http1Connection::close));
        if (timer != null) timer.shutdownNow();
    }
}
