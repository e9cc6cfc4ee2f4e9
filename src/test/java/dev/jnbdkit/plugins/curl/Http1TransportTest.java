package dev.jnbdkit.plugins.curl;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The HTTP/1.1 transport against a scripted server on the loopback: each reply framing
 * (Content-Length, chunked, up to the close), interim replies, keep-alive reuse and its limits, a
 * kept connection the server dropped, a body larger than its buffer, the whole-request timeout,
 * and the request bytes it sends (directly and to a proxy); over TLS to a server with a
 * self-signed certificate made by keytool: bodies, reuse, the certificate and host name checks
 * and {@code sslverify=false}, a dropped kept connection, a handshake that never ends.
 */
class Http1TransportTest {
    private final Arena arena = Arena.ofConfined();
    private Scripted server;
    private Http1Transport transport;

    @AfterEach
    void close() throws IOException {
        if (transport != null) transport.close();
        if (server != null) server.close();
        arena.close();
    }

    /** A server that answers each request with the next canned reply; "CLOSE" after a reply drops the connection. */
    private static final class Scripted implements AutoCloseable {
        final ServerSocket socket;
        final ConcurrentLinkedQueue<String> replies = new ConcurrentLinkedQueue<>();
        final List<String> requests = Collections.synchronizedList(new ArrayList<>());
        final AtomicInteger accepted = new AtomicInteger();
        final Thread thread;

        Scripted(String... replies) throws IOException {
            this(new ServerSocket(0, 50, InetAddress.getLoopbackAddress()), replies);
        }

        /** On {@code socket}: a TLS one makes an https:// server. */
        Scripted(ServerSocket socket, String... replies) {
            this.socket = socket;
            this.replies.addAll(List.of(replies));
            thread = Thread.ofVirtual().start(this::serve);
        }

        int port() { return socket.getLocalPort(); }

        private void serve() {
            while (!socket.isClosed()) {
                try {
                    Socket s = socket.accept();
                    accepted.incrementAndGet();
                    Thread.ofVirtual().start(() -> connection(s));
                } catch (IOException e) {
                    return;
                }
            }
        }

        private void connection(Socket s) {
            try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
                while (true) {
                    String head = head(in);
                    if (head == null) return;
                    int cl = head.toLowerCase().indexOf("\r\ncontent-length: ");
                    if (cl >= 0) {
                        int n = Integer.parseInt(head.substring(cl + 18, head.indexOf("\r\n", cl + 2)).strip());
                        head += new String(in.readNBytes(n), StandardCharsets.ISO_8859_1);
                    }
                    requests.add(head);
                    String reply = replies.poll();
                    if (reply == null || reply.equals("SILENT")) {
                        Thread.sleep(10_000);
                        return;
                    }
                    boolean close = reply.endsWith("CLOSE");
                    out.write(reply.replace("CLOSE", "").getBytes(StandardCharsets.ISO_8859_1));
                    out.flush();
                    if (close) return;
                }
            } catch (IOException | InterruptedException e) {
                // the client went away
            }
        }

        private static String head(InputStream in) throws IOException {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            int c;
            while ((c = in.read()) >= 0) {
                b.write(c);
                String s = b.toString(StandardCharsets.ISO_8859_1);
                if (s.endsWith("\r\n\r\n")) return s;
            }
            return null;
        }

        @Override
        public void close() throws IOException { socket.close(); }
    }

    private URI uri(String path) { return URI.create("http://127.0.0.1:" + server.port() + path); }

    private Reply get(MemorySegment into) throws Exception {
        return transport.exchange(uri("/disk.img"), null, "GET", List.of(new HeaderLine("Accept", "*/*", false)), null,
                status -> into);
    }

    private static String text(MemorySegment seg, long n) {
        return new String(seg.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.ISO_8859_1);
    }

    @Test
    void bodiesOfEachFramingLandInTheBuffer() throws Exception {
        server = new Scripted(
                "HTTP/1.1 206 Partial Content\r\nContent-Length: 5\r\nContent-Range: bytes 0-4/10\r\n\r\nhello",
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n4\r\ndefg\r\n0\r\nX-Trailer: t\r\n\r\n",
                "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nX-Folded: a\r\n  b\r\nContent-Length: 2\r\n\r\nok",
                "HTTP/1.0 200 OK\r\n\r\nuntil the endCLOSE");
        transport = new Http1Transport(0);
        MemorySegment buf = arena.allocate(64);
        Reply r = get(buf);
        assertEquals(206, r.status());
        assertEquals(5, r.body());
        assertEquals("hello", text(buf, 5));
        assertEquals("bytes 0-4/10", r.headers().firstValue("content-range").orElseThrow());
        r = get(buf);
        assertEquals(7, r.body());
        assertEquals("abcdefg", text(buf, 7));
        r = get(buf);
        assertEquals(200, r.status(), "the interim 100 is skipped");
        assertEquals("ok", text(buf, 2));
        assertEquals("a b", r.headers().firstValue("X-FOLDED").orElseThrow(), "folded lines join; names are case-insensitive");
        r = get(buf);
        assertEquals("until the end", text(buf, r.body()));
        assertEquals(1, server.accepted.get(), "one kept-alive connection served all four");
    }

    @Test
    void aBodyLargerThanItsBufferIsMinusOneAndDropsTheConnection() throws Exception {
        String big = "x".repeat(100_000);
        server = new Scripted("HTTP/1.1 206 Partial Content\r\nContent-Length: 100000\r\n\r\n" + big,
                "HTTP/1.1 302 Found\r\nLocation: /elsewhere\r\nContent-Length: 4\r\n\r\nmoveHTTP/1.1 206 Partial Content\r\nContent-Length: 1\r\n\r\nz");
        transport = new Http1Transport(0);
        MemorySegment small = arena.allocate(10);
        assertEquals(-1, get(small).body());
        // a small unwanted body (a redirect's) is read and dropped: the connection stays usable
        Reply redirect = transport.exchange(uri("/disk.img"), null, "GET", List.of(), null, status -> MemorySegment.NULL);
        assertEquals(302, redirect.status());
        assertEquals(-1, redirect.body());
        assertEquals(2, server.accepted.get(), "the overflowing connection was not reused");
    }

    @Test
    void headRepliesHaveNoBodyAndCloseIsHonoured() throws Exception {
        server = new Scripted("HTTP/1.1 200 OK\r\nContent-Length: 268435456\r\nAccept-Ranges: bytes\r\n\r\n",
                "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nab",
                "HTTP/1.1 204 No Content\r\n\r\n");
        transport = new Http1Transport(0);
        Reply head = transport.exchange(uri("/d"), null, "HEAD", List.of(), null, null);
        assertEquals(268435456L, head.headers().firstValueAsLong("content-length").orElseThrow());
        assertEquals(0, head.body());
        assertEquals(200, transport.exchange(uri("/d"), null, "GET", List.of(), null, null).status());
        assertEquals(204, transport.exchange(uri("/d"), null, "GET", List.of(), null, null).status());
        assertEquals(2, server.accepted.get(), "Connection: close means a new connection");
    }

    @Test
    void aKeptConnectionTheServerClosedIsRetriedOnceOnANewOne() throws Exception {
        // the first reply says nothing of closing, then the server drops the connection
        server = new Scripted("HTTP/1.1 206 Partial Content\r\nContent-Length: 1\r\n\r\naCLOSE",
                "HTTP/1.1 206 Partial Content\r\nContent-Length: 1\r\n\r\nb");
        transport = new Http1Transport(0);
        MemorySegment buf = arena.allocate(1);
        assertEquals(1, get(buf).body());
        Thread.sleep(100);
        assertEquals(1, get(buf).body());
        assertEquals("b", text(buf, 1));
        assertEquals(2, server.accepted.get());
        // a fresh connection closed before any reply is an error, not retried
        server.replies.add("CLOSE");
        transport.close();
        transport = new Http1Transport(0);
        assertThrows(Http1Connection.Stale.class, () -> get(buf));
    }

    @Test
    void aTruncatedBodyFails() throws Exception {
        server = new Scripted("HTTP/1.1 206 Partial Content\r\nContent-Length: 10\r\n\r\nshortCLOSE");
        transport = new Http1Transport(0);
        assertThrows(EOFException.class, () -> get(arena.allocate(10)));
    }

    @Test
    void theTimeoutBoundsTheWholeRequest() throws Exception {
        server = new Scripted("SILENT");
        transport = new Http1Transport(300);
        long t = System.nanoTime();
        assertThrows(TimeoutException.class, () -> get(arena.allocate(10)));
        long ms = (System.nanoTime() - t) / 1_000_000;
        assertTrue(ms >= 250 && ms < 5000, ms + " ms");
    }

    @Test
    void requestBytesDirectlyAndThroughAProxy() throws Exception {
        server = new Scripted("HTTP/1.1 204 No Content\r\n\r\n", "HTTP/1.1 204 No Content\r\n\r\n");
        transport = new Http1Transport(0);
        MemorySegment upload = arena.allocate(3);
        upload.copyFrom(MemorySegment.ofArray("xyz".getBytes(StandardCharsets.ISO_8859_1)));
        transport.exchange(uri("/a%20b?q=1"), null, "PUT", List.of(new HeaderLine("Content-Range", "bytes 0-2/*", false)),
                upload, null);
        InetSocketAddress proxy = InetSocketAddress.createUnresolved("127.0.0.1", server.port());
        transport.exchange(URI.create("http://disk.example.invalid/x.img"), proxy, "GET",
                List.of(new HeaderLine("Host", "override", false)), null, null);
        assertEquals("PUT /a%20b?q=1 HTTP/1.1\r\nHost: 127.0.0.1:" + server.port()
                + "\r\nContent-Range: bytes 0-2/*\r\nContent-Length: 3\r\n\r\nxyz", server.requests.get(0));
        assertEquals("GET http://disk.example.invalid/x.img HTTP/1.1\r\nHost: override\r\n\r\n", server.requests.get(1),
                "absolute form to a proxy; a user's Host replaces ours");
    }

    @Test
    void aClosedPortAndAnUnknownHostAreTheJdksExceptions() throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        transport = new Http1Transport(0);
        assertThrows(java.net.ConnectException.class, () -> transport.exchange(URI.create("http://127.0.0.1:" + closed + "/"),
                null, "GET", List.of(), null, null));
        assertThrows(java.net.UnknownHostException.class, () -> transport.exchange(URI.create("http://no-such-host.invalid/"),
                null, "GET", List.of(), null, null));
    }

    // ---- https:// over TLS -------------------------------------------------------------------

    /** A self-signed certificate for 127.0.0.1 only (no DNS name), made by the JDK's keytool. */
    @TempDir
    static Path keys;

    private static Path keystore() throws Exception {
        Path ks = keys.resolve("server.p12");
        if (Files.exists(ks)) return ks;
        String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        run(keytool, "-genkeypair", "-alias", "server", "-keyalg", "EC", "-groupname", "secp256r1",
                "-dname", "CN=127.0.0.1", "-ext", "san=ip:127.0.0.1", "-validity", "2",
                "-keystore", ks.toString(), "-storetype", "PKCS12", "-storepass", "changeit");
        run(keytool, "-exportcert", "-rfc", "-alias", "server", "-keystore", ks.toString(), "-storepass", "changeit",
                "-file", keys.resolve("cert.pem").toString());
        return ks;
    }

    private static void run(String... argv) throws Exception {
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), String.join(" ", argv) + ": " + out);
    }

    /** A TLS listener on the loopback with the test certificate. */
    private static ServerSocket tlsListener() throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keystore())) {
            ks.load(in, "changeit".toCharArray());
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, "changeit".toCharArray());
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), null, null);
        return ctx.getServerSocketFactory().createServerSocket(0, 50, InetAddress.getLoopbackAddress());
    }

    /** The transport as the plugin builds it from {@code sslverify=} and {@code cainfo=} (null: the system's CAs). */
    private static Http1Transport tlsTransport(long timeoutMillis, boolean verify, String cainfo) {
        CurlSettings s = new CurlSettings();
        s.sslVerify = verify;
        s.caInfo = cainfo;
        SSLContext ctx = TrustSettings.context(s);
        return new Http1Transport(timeoutMillis, ctx, TrustSettings.parameters(s, ctx), verify);
    }

    private Reply getTls(String host, MemorySegment into) throws Exception {
        return transport.exchange(URI.create("https://" + host + ":" + server.port() + "/disk.img"), null, "GET",
                List.of(new HeaderLine("Range", "bytes=0-4", false)), null, status -> into);
    }

    @Test
    void httpsBodiesLandInTheBufferOverOneKeptConnection() throws Exception {
        String big = "y".repeat(300_000);
        server = new Scripted(tlsListener(),
                "HTTP/1.1 206 Partial Content\r\nContent-Length: 5\r\n\r\nhello",
                "HTTP/1.1 206 Partial Content\r\nContent-Length: 300000\r\n\r\n" + big,
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
        transport = tlsTransport(0, true, keys.resolve("cert.pem").toString());
        MemorySegment buf = arena.allocate(300_000);
        assertEquals(5, getTls("127.0.0.1", buf).body());
        assertEquals("hello", text(buf, 5));
        // a body of many TLS records, straight into native memory
        assertEquals(300_000, getTls("127.0.0.1", buf).body());
        assertEquals(big, text(buf, 300_000));
        assertEquals(3, getTls("127.0.0.1", buf).body());
        assertEquals("abc", text(buf, 3));
        assertEquals(1, server.accepted.get(), "one kept-alive TLS connection served all three");
        assertEquals("GET /disk.img HTTP/1.1\r\nHost: 127.0.0.1:" + server.port() + "\r\nRange: bytes=0-4\r\n\r\n",
                server.requests.getFirst(), "origin form, as for http://");
    }

    @Test
    void httpsChecksTheCertificateAndItsNameUnlessSslverifyIsFalse() throws Exception {
        server = new Scripted(tlsListener(), "HTTP/1.1 204 No Content\r\n\r\n", "HTTP/1.1 204 No Content\r\n\r\n");
        MemorySegment buf = arena.allocate(8);
        // trusted, but the certificate names 127.0.0.1 and not localhost: the endpoint check refuses it
        transport = tlsTransport(0, true, keys.resolve("cert.pem").toString());
        SSLHandshakeException name = assertThrows(SSLHandshakeException.class, () -> getTls("localhost", buf));
        assertTrue(String.valueOf(name.getMessage()).contains("localhost"), name.getMessage());
        transport.close();
        // a self-signed certificate the system's CAs do not know
        transport = tlsTransport(0, true, null);
        assertThrows(SSLHandshakeException.class, () -> getTls("127.0.0.1", buf));
        transport.close();
        // sslverify=false: neither the issuer nor the name is checked
        transport = tlsTransport(0, false, null);
        assertEquals(204, getTls("localhost", buf).status());
        assertEquals(204, getTls("localhost", buf).status());
    }

    @Test
    void aKeptTlsConnectionTheServerClosedIsRetriedOnceOnANewOne() throws Exception {
        server = new Scripted(tlsListener(), "HTTP/1.1 206 Partial Content\r\nContent-Length: 1\r\n\r\naCLOSE",
                "HTTP/1.1 206 Partial Content\r\nContent-Length: 1\r\n\r\nb");
        transport = tlsTransport(0, false, null);
        MemorySegment buf = arena.allocate(1);
        assertEquals(1, getTls("127.0.0.1", buf).body());
        Thread.sleep(100);
        assertEquals(1, getTls("127.0.0.1", buf).body());
        assertEquals("b", text(buf, 1));
        assertEquals(2, server.accepted.get());
    }

    @Test
    void theTimeoutBoundsTheTlsHandshake() throws Exception {
        // a plain listener that accepts and never answers: the client's hello goes unanswered
        server = new Scripted("SILENT");
        transport = tlsTransport(300, false, null);
        long t = System.nanoTime();
        assertThrows(TimeoutException.class, () -> getTls("127.0.0.1", arena.allocate(1)));
        long ms = (System.nanoTime() - t) / 1_000_000;
        assertTrue(ms >= 250 && ms < 5000, ms + " ms");
    }

    /**
     * A CONNECT proxy: records each request head, answers {@code status}, and for a 200 pipes the
     * connection to 127.0.0.1:{@code target} both ways.
     */
    private static final class ConnectProxy implements AutoCloseable {
        final ServerSocket socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        final List<String> requests = Collections.synchronizedList(new ArrayList<>());

        ConnectProxy(int status, int target) throws IOException {
            Thread.ofVirtual().start(() -> {
                while (!socket.isClosed()) {
                    try {
                        Socket client = socket.accept();
                        Thread.ofVirtual().start(() -> tunnel(client, status, target));
                    } catch (IOException e) {
                        return;
                    }
                }
            });
        }

        private void tunnel(Socket client, int status, int target) {
            try (client; Socket server = new Socket(InetAddress.getLoopbackAddress(), target)) {
                requests.add(Scripted.head(client.getInputStream()));
                client.getOutputStream().write(("HTTP/1.1 " + status + " Whatever\r\nContent-Length: 0\r\n\r\n")
                        .getBytes(StandardCharsets.ISO_8859_1));
                if (status != 200) return;
                Thread up = Thread.ofVirtual().start(() -> pipe(client, server));
                pipe(server, client);
                up.join();
            } catch (IOException | InterruptedException e) {
                // either side went away
            }
        }

        private static void pipe(Socket from, Socket to) {
            try {
                from.getInputStream().transferTo(to.getOutputStream());
                to.shutdownOutput();
            } catch (IOException e) {
                // closed
            }
        }

        int port() { return socket.getLocalPort(); }

        @Override public void close() throws IOException { socket.close(); }
    }

    @Test
    void httpsThroughAProxyGoesThroughACONNECTTunnel() throws Exception {
        server = new Scripted(tlsListener(), "HTTP/1.1 206 Partial Content\r\nContent-Length: 5\r\n\r\nhello",
                "HTTP/1.1 206 Partial Content\r\nContent-Length: 5\r\n\r\nworld");
        transport = tlsTransport(0, true, keys.resolve("cert.pem").toString());
        MemorySegment buf = arena.allocate(5);
        List<HeaderLine> headers = List.of(new HeaderLine("Proxy-Authorization", "Basic cHU6cHA=", false),
                new HeaderLine("Range", "bytes=0-4", false));
        URI uri = URI.create("https://127.0.0.1:" + server.port() + "/disk.img");
        try (ConnectProxy proxy = new ConnectProxy(200, server.port())) {
            InetSocketAddress via = InetSocketAddress.createUnresolved("127.0.0.1", proxy.port());
            assertEquals(5, transport.exchange(uri, via, "GET", headers, null, status -> buf).body());
            assertEquals("hello", text(buf, 5));
            assertEquals(5, transport.exchange(uri, via, "GET", headers, null, status -> buf).body());
            assertEquals("world", text(buf, 5));
            assertEquals(List.of("CONNECT 127.0.0.1:" + server.port() + " HTTP/1.1\r\nHost: 127.0.0.1:" + server.port()
                    + "\r\nProxy-Authorization: Basic cHU6cHA=\r\n\r\n"), proxy.requests, "one tunnel, kept alive; the credentials go to the proxy");
            assertEquals("GET /disk.img HTTP/1.1\r\nHost: 127.0.0.1:" + server.port() + "\r\nRange: bytes=0-4\r\n\r\n",
                    server.requests.getFirst(), "and not to the web server, which sees the origin form");
        }
        try (ConnectProxy refusing = new ConnectProxy(407, server.port())) {
            InetSocketAddress via = InetSocketAddress.createUnresolved("127.0.0.1", refusing.port());
            java.net.ConnectException e = assertThrows(java.net.ConnectException.class,
                    () -> transport.exchange(URI.create("https://127.0.0.1:1/x"), via, "GET", headers, null, null));
            assertEquals("CONNECT tunnel failed, response 407", e.getMessage());
        }
    }
}
