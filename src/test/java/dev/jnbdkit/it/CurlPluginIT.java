package dev.jnbdkit.it;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code curl}: a disk served from a local web server ({@link WebServer}, over HTTP and HTTPS),
 * through real clients, side by side with Debian's nbdkit running the same URL and keys: the same
 * size and bytes, the same errors for a missing file, a closed port, a server without ranges, bad
 * certificates and bad parameters; what each client sent (headers, cookies, credentials, what the
 * header and cookie scripts printed) as the web server saw it.
 */
class CurlPluginIT extends ItBase {
    private static final int SIZE = 3 * 1024 * 1024 + 4321;
    private Path site;
    private final List<WebServer> web = new ArrayList<>();

    @BeforeEach
    void site() throws IOException {
        site = Files.createDirectories(tmp.resolve("site"));
        Files.move(randomFile("disk.img", SIZE, 7), site.resolve("disk.img"));
    }

    @AfterEach
    void stopWeb() {
        web.forEach(WebServer::close);
    }

    private WebServer web(String... flags) {
        WebServer w = WebServer.start(site, tmp, flags);
        web.add(w);
        return w;
    }

    private byte[] image() throws IOException { return Files.readAllBytes(site.resolve("disk.img")); }

    // ---- what clients see ---------------------------------------------------------------

    @Test
    void sameDiskAsNbdkitOverHttp() throws IOException {
        WebServer w = web();
        PluginDiff.Seen seen = PluginDiff.assertSameDisk(tmp, "-r", "curl", w.url("/disk.img"));
        assertEquals(SIZE, seen.size());
        assertEquals(Differential.sha256(site.resolve("disk.img")), seen.sha256());
        // the magic key and url= are the same thing; a redirect chain ends at the same disk
        PluginDiff.assertSameDisk(tmp, "curl", "url=" + w.url("/redirect/3/disk.img"));
        w.clearLog();
        Server s = unix("-r", "curl", w.url("/disk.img"));
        Path copy = tmp.resolve("copy");
        Cmd.of("nbdcopy", "--connections=4", s.uri(), copy.toString()).ok();
        assertArrayEquals(image(), Files.readAllBytes(copy));
        Set<Long> ports = new HashSet<>();
        for (Json r : w.requests()) {
            if (r.get("method").asString().equals("GET")) {
                assertEquals(206, r.get("status").asLong(), "every read is a ranged GET: " + r);
            }
            ports.add(r.get("port").asLong());
        }
        // kept-alive connections, at most connections= (default 4) of them for all the copy's requests
        assertTrue(ports.size() <= 4 && w.requests().size() > 8, ports + " for " + w.requests().size() + " requests");
    }

    @Test
    void sameDiskAsNbdkitOverHttps() throws IOException {
        Path cert = certificate();
        WebServer w = web("--tls", cert.toString(), tmp.resolve("key.pem").toString());
        String url = w.url("/disk.img");
        assertEquals(SIZE, PluginDiff.assertSameDisk(tmp, "-r", "curl", url, "sslverify=false").size());
        PluginDiff.assertSameDisk(tmp, "-r", "curl", url, "cainfo=" + cert);
        // capath: a directory named by the certificate's subject hash, as c_rehash leaves it
        Path capath = Files.createDirectories(tmp.resolve("capath"));
        String hash = Cmd.of("openssl", "x509", "-hash", "-noout", "-in", cert.toString()).ok().out().strip();
        Files.copy(cert, capath.resolve(hash + ".0"));
        PluginDiff.assertSameDisk(tmp, "-r", "curl", url, "capath=" + capath, "cainfo=");
        // redirects across schemes, both ways, end at the same disk
        WebServer plain = web();
        PluginDiff.assertSameDisk(tmp, "-r", "curl", plain.url("/to/https/" + w.port() + "/disk.img"), "cainfo=" + cert);
        PluginDiff.assertSameDisk(tmp, "-r", "curl", w.url("/to/http/" + plain.port() + "/disk.img"), "cainfo=" + cert);
        // HTTP/1.1 on the plugin's own transport (no User-Agent unless asked for, as libcurl),
        // every read a ranged GET over at most connections= kept-alive TLS connections
        w.clearLog();
        Server s = unix("-r", "curl", url, "cainfo=" + cert);
        Path copy = tmp.resolve("copy");
        Cmd.of("nbdcopy", "--connections=4", s.uri(), copy.toString()).ok();
        assertArrayEquals(image(), Files.readAllBytes(copy));
        Set<Long> ports = new HashSet<>();
        for (Json r : w.requests()) {
            if (r.get("method").asString().equals("GET")) assertEquals(206, r.get("status").asLong(), r.toString());
            assertEquals(null, WebServer.header(r, "User-Agent"), r.toString());
            ports.add(r.get("port").asLong());
        }
        assertTrue(ports.size() <= 4 && w.requests().size() > 8, ports + " for " + w.requests().size() + " requests");
        s.stop();
        // http-version=2TLS (nbdkit >= 1.34: not in Debian's 1.32) asks for HTTP/2: the JDK's
        // client makes the request (and names itself)
        w.clearLog();
        Server h2 = unix("-r", "curl", url, "cainfo=" + cert, "http-version=2TLS");
        Cmd.of("nbdcopy", h2.uri(), copy.toString()).ok();
        assertArrayEquals(image(), Files.readAllBytes(copy));
        assertTrue(w.requests().stream().anyMatch(r -> String.valueOf(WebServer.header(r, "User-Agent")).startsWith("Java-http-client")),
                w.requests().toString());
        // not trusted: both refuse the connection with libcurl's reason
        String ours = openError(Server.program(), "curl", url);
        String theirs = openError(Server.NBDKIT, "curl", url);
        assertEquals(theirs, ours);
        assertTrue(ours.contains("SSL peer certificate or SSH remote key was not OK")
                || ours.contains("SSL certificate problem"), ours);
    }

    @Test
    void writesArePutsOfTheRange() throws IOException {
        WebServer w = web();
        Server s = unix("curl", w.url("/disk.img"));
        Cmd.of("nbdsh", "-u", s.uri(), "-c", "h.pwrite(b'\\xab' * 5000, 1_000_000)").ok();
        byte[] now = image();
        for (int i = 0; i < 5000; i++) assertEquals((byte) 0xab, now[1_000_000 + i]);
        Json put = w.requests().stream().filter(r -> r.get("method").asString().equals("PUT")).findFirst().orElseThrow();
        assertEquals("bytes 1000000-1004999/*", WebServer.header(put, "Content-Range"));
        assertEquals(204, put.get("status").asLong());
        // what was written is read back through a new connection
        String back = Cmd.of("nbdsh", "-u", s.uri(), "-c", "print(h.pread(3, 1_004_998).hex())").ok().out().strip();
        assertEquals("abab" + String.format("%02x", now[1_005_000]), back);
        // -r: multi-conn, and writes are refused before they reach the web server
        s.stop();
        Server ro = unix("-r", "curl", w.url("/disk.img"));
        String caps = Cmd.of("nbdsh", "-u", ro.uri(), "-c", "print(h.can_multi_conn(), h.is_read_only())").ok().out().strip();
        assertEquals("True True", caps);
    }

    @Test
    void headFailsGetOfByteZeroGivesTheSize() {
        // Some object stores refuse HEAD: the size comes from a ranged GET of byte 0. nbdkit 1.32
        // refuses such a server (README "What differs").
        WebServer w = web("--no-head");
        Server s = unix("-r", "curl", w.url("/disk.img"));
        assertEquals(String.valueOf(SIZE), Cmd.of("nbdinfo", "--size", s.uri()).ok().out().strip());
        assertTrue(openError(Server.NBDKIT, "curl", w.url("/disk.img")).contains("HTTP response code said error"));
    }

    // ---- errors ---------------------------------------------------------------------------

    @Test
    void openErrorsAsNbdkit() {
        WebServer w = web();
        WebServer noRanges = web("--no-ranges");
        int closed = Server.freePort();
        String[][] cases = {
            {"curl", w.url("/missing.img")},
            {"curl", "http://127.0.0.1:" + closed + "/disk.img"},
            {"curl", noRanges.url("/disk.img")},
            {"curl", w.url("/auth/disk.img")},
            {"curl", w.url("/auth/disk.img"), "user=user", "password=wrong"},
            {"curl", w.url("/redirect/1/disk.img"), "followlocation=false"},
            {"curl", w.url("/slow/disk.img"), "timeout=1"},
            {"curl", w.url("/disk.img"), "protocols=https"},
        };
        for (String[] c : cases) {
            String ours = openError(Server.program(), c);
            String theirs = openError(Server.NBDKIT, c);
            assertEquals(theirs, ours, "open errors differ for " + List.of(c));
            assertFalse(ours.isBlank(), List.of(c).toString());
        }
    }

    @Test
    void badParametersAsNbdkit() {
        Differential.assertSameRefusal("curl");
        Differential.assertSameRefusal("curl", "http://127.0.0.1/x", "timeout=-1");
        Differential.assertSameRefusal("curl", "http://127.0.0.1/x", "timeout=abc");
        Differential.assertSameRefusal("curl", "http://127.0.0.1/x", "sslverify=maybe");
        Differential.assertSameRefusal("curl", "http://127.0.0.1/x", "followlocation=maybe");
        Differential.assertSameRefusal("curl", "http://127.0.0.1/x", "header=X-A: 1", "header-script=true");
        Differential.assertSameRefusal("curl", "http://127.0.0.1/x", "cookie=a=b", "cookie-script=true");
        Differential.assertSameRefusal("curl", "http://127.0.0.1/x", "header-script-renew=10");
        Differential.assertSameRefusal("curl", "http://127.0.0.1/x", "cookie-script-renew=10");
        Differential.assertSameRefusal("curl", "http://127.0.0.1/x", "nosuchkey=1");
        Differential.assertSameRefusal("curl", "http://127.0.0.1/x", "password=+" + tmp.resolve("nonexistent"));
    }

    @Test
    void keysTheJdkCannotHonourAreRefused() {
        for (String key : List.of("unix-socket-path=/tmp/x.sock", "http-version=3", "http-version=1.0",
                "ssl-version=sslv3", "tcp-nodelay=false", "tcp-keepalive=true", "proxy=socks5://127.0.0.1:1080",
                "connections=0", "ssl-cipher-list=ECDHE-RSA-AES128-GCM-SHA256")) {
            Cmd.Result r = Server.command("-U", "-", "curl", "http://127.0.0.1/x", key, "--run", "true").inheritPath().exit(1);
            assertTrue(r.err().contains("jnbdkit") || r.err().contains("must not be 0") || r.err().contains("IANA"),
                    key + ": " + r.err());
        }
    }

    // ---- what the web server saw ------------------------------------------------------------

    @Test
    void headersCookiesAndCredentialsAsNbdkit() throws IOException {
        Path pw = tmp.resolve("pw");
        Files.writeString(pw, "secret\n");
        WebServer w = web();
        String[] args = {"-r", "curl", w.url("/auth/disk.img"), "user=user", "password=+" + pw,
                "header=X-Test: hello", "header=X-Empty;", "header=Accept:", "cookie=a=1; b=2", "user-agent=jnbdkit-test/1"};
        List<String> theirs = sentHeaders(w, Server.NBDKIT, args);
        List<String> ours = sentHeaders(w, Server.program(), args);
        // nbdkit 1.32 asks for one byte more than it reads (bytes=8192-12288 for 4096 bytes at 8192);
        // the range is inclusive (RFC 9110), so jnbdkit asks for exactly the request
        assertTrue(ours.contains("range: bytes=8192-12287"), ours.toString());
        assertTrue(theirs.remove("range: bytes=8192-12288") && ours.remove("range: bytes=8192-12287"));
        assertEquals(theirs, ours);
        assertTrue(ours.contains("authorization: Basic " + Base64.getEncoder().encodeToString("user:secret".getBytes())), ours.toString());
        assertTrue(ours.contains("x-test: hello") && ours.contains("x-empty: ") && ours.contains("cookie: a=1; b=2"), ours.toString());
        assertFalse(ours.stream().anyMatch(h -> h.startsWith("accept:")), ours.toString());
        // nothing given: the same headers as nbdkit (no User-Agent of the JDK's client)
        List<String> plainTheirs = sentHeaders(w, Server.NBDKIT, "-r", "curl", w.url("/disk.img"));
        List<String> plainOurs = sentHeaders(w, Server.program(), "-r", "curl", w.url("/disk.img"));
        assertTrue(plainTheirs.remove("range: bytes=8192-12288") && plainOurs.remove("range: bytes=8192-12287"), plainOurs.toString());
        assertEquals(plainTheirs, plainOurs);
        // credentials in the URL
        List<String> inUrl = sentHeaders(w, Server.program(), "-r", "curl",
                w.url("/auth/disk.img").replace("http://", "http://user:secret@"));
        assertTrue(inUrl.contains("authorization: Basic " + Base64.getEncoder().encodeToString("user:secret".getBytes())), inUrl.toString());
    }

    @Test
    void headerAndCookieScriptsAreRunAndRenewed() {
        WebServer w = web();
        String[] args = {"-r", "curl", w.url("/disk.img"),
                "header-script=echo \"X-Iteration: $iteration\"; echo \"X-Url: $url\"", "header-script-renew=1",
                "cookie-script=echo \"it=$iteration\"", "cookie-script-renew=1"};
        for (String program : List.of(Server.NBDKIT, Server.program())) {
            w.clearLog();
            Path sock = tmp.resolve("s-" + System.nanoTime());
            List<String> argv = new ArrayList<>(List.of(program, "-f", "-U", sock.toString()));
            argv.addAll(List.of(args));
            Server s = Server.startAndWait(argv, sock, 0);
            Cmd.of("nbdinfo", "--size", s.uri()).ok();
            Server.sleep(2500);
            Cmd.of("nbdsh", "-u", s.uri(), "-c", "h.pread(512, 0)").ok();
            s.stop();
            List<Json> reqs = w.requests();
            Json first = reqs.getFirst(), last = reqs.getLast();
            assertEquals("0", WebServer.header(first, "X-Iteration"), program + " " + reqs);
            assertEquals("it=0", WebServer.header(first, "Cookie"), program + " " + reqs);
            assertEquals(w.url("/disk.img"), WebServer.header(first, "X-Url"), program);
            assertNotEquals("0", WebServer.header(last, "X-Iteration"), program + " renewed after 1 s: " + reqs);
            assertNotEquals("it=0", WebServer.header(last, "Cookie"), program + " " + reqs);
        }
    }

    @Test
    void proxyGetsTheAbsoluteUrl() {
        WebServer proxy = web();
        String[] args = {"-r", "curl", "http://disk.example.invalid/disk.img", "proxy=http://127.0.0.1:" + proxy.port(),
                "proxy-user=pu", "proxy-password=pp"};
        PluginDiff.Seen seen = PluginDiff.assertSameDisk(tmp, args);
        assertEquals(SIZE, seen.size());
        List<Json> reqs = proxy.requests();
        assertFalse(reqs.isEmpty());
        String auth = "Basic " + Base64.getEncoder().encodeToString("pu:pp".getBytes());
        for (Json r : reqs) {
            assertTrue(r.get("proxy").asBool(), r.toString());
            assertEquals(auth, WebServer.header(r, "Proxy-Authorization"), r.toString());
        }
    }

    @Test
    void httpsThroughAProxyIsACONNECTTunnel() throws IOException {
        Path cert = certificate();
        WebServer w = web("--tls", cert.toString(), tmp.resolve("key.pem").toString());
        WebServer proxy = web();
        String[] args = {"-r", "curl", w.url("/disk.img"), "cainfo=" + cert, "proxy=http://127.0.0.1:" + proxy.port(),
                "proxy-user=pu", "proxy-password=pp"};
        assertEquals(SIZE, PluginDiff.assertSameDisk(tmp, args).size());
        String auth = "Basic " + Base64.getEncoder().encodeToString("pu:pp".getBytes());
        List<Json> tunnels = proxy.requests();
        assertFalse(tunnels.isEmpty());
        for (Json r : tunnels) {
            assertEquals("CONNECT", r.get("method").asString(), r.toString());
            assertEquals("127.0.0.1:" + w.port(), r.get("path").asString(), r.toString());
            assertEquals(auth, WebServer.header(r, "Proxy-Authorization"), r.toString());
        }
        // through the tunnel: the origin form, no proxy credentials, as nbdkit (and no User-Agent:
        // the plugin's own transport, not the JDK's client)
        for (Json r : w.requests()) {
            assertFalse(r.get("proxy").asBool(), r.toString());
            assertEquals(null, WebServer.header(r, "Proxy-Authorization"), r.toString());
            assertEquals(null, WebServer.header(r, "User-Agent"), r.toString());
        }
        // ours kept its tunnels alive: at most connections= of them for a whole copy
        proxy.clearLog();
        Server s = unix(args);
        Cmd.of("nbdcopy", "--connections=4", s.uri(), tmp.resolve("copy").toString()).ok();
        assertArrayEquals(image(), Files.readAllBytes(tmp.resolve("copy")));
        assertTrue(proxy.requests().size() <= 4, proxy.requests().toString());
    }

    @Test
    void cookiesTheServerSetsAreSentBack() throws IOException {
        WebServer w = web();
        Path jar = tmp.resolve("jar.txt");
        Server s = unix("-r", "curl", w.url("/setcookie/disk.img"), "cookiejar=" + jar);
        Cmd.of("nbdsh", "-u", s.uri(), "-c", "h.pread(512, 0)").ok();
        List<Json> reqs = w.requests();
        assertEquals("session=s3cr3t", WebServer.header(reqs.getLast(), "Cookie"), reqs.toString());
        s.stop();
        String saved = Files.readString(jar);
        assertTrue(saved.contains("\tsession\ts3cr3t"), saved);
    }

    @Test
    void dumpPlugin() {
        String dump = runServer("curl", "--dump-plugin").ok().out();
        assertTrue(dump.contains("\nthread_model=parallel\n"), dump);
        assertTrue(dump.contains("\nmagic_config_key=url\n"), dump);
    }

    // ---- helpers --------------------------------------------------------------------------

    /** A self-signed certificate for 127.0.0.1 (and its key, tmp/key.pem). */
    private Path certificate() {
        Clients.require("openssl");
        Path cert = tmp.resolve("cert.pem");
        Cmd.of("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                "-keyout", tmp.resolve("key.pem").toString(), "-out", cert.toString(),
                "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost").ok();
        return cert;
    }

    /**
     * Starts the server (both refuse a bad URL only when a client opens the export), asks for
     * the size, which must fail, and returns the server's error lines, each cut after libcurl's
     * reason (the detail after it names timings and library versions).
     */
    private String openError(String program, String... args) {
        Path sock = tmp.resolve("e-" + System.nanoTime());
        List<String> argv = new ArrayList<>(List.of(program, "-f", "-U", sock.toString()));
        argv.addAll(List.of(args));
        Server s = Server.startAndWait(argv, sock, 0);
        Cmd.of("nbdinfo", "--size", s.uri()).fails();
        s.stop();
        StringBuilder out = new StringBuilder();
        for (String line : Differential.untagged(s.stderr()).split("\n")) {
            // nbdkit sometimes also logs its failed handshake with the departed client
            if (!line.startsWith("error: ") || line.contains("handshake") || line.contains("conn->")) continue;
            String[] parts = line.split(": ");
            out.append(String.join(": ", List.of(parts).subList(0, Math.min(parts.length, 3)))).append('\n');
        }
        return out.toString();
    }

    /** The headers of the GET requests {@code program} sent for one read, minus the transport's own. */
    private List<String> sentHeaders(WebServer w, String program, String... args) {
        w.clearLog();
        Path sock = tmp.resolve("h-" + System.nanoTime());
        List<String> argv = new ArrayList<>(List.of(program, "-f", "-U", sock.toString()));
        argv.addAll(List.of(args));
        Server s = Server.startAndWait(argv, sock, 0);
        Cmd.of("nbdsh", "-u", s.uri(), "-c", "h.pread(4096, 8192)").ok();
        s.stop();
        List<String> out = new ArrayList<>();
        for (Json r : w.requests()) {
            if (!r.get("method").asString().equals("GET")) continue;
            List<String> one = new ArrayList<>();
            for (Json h : r.get("headers").items()) {
                String name = h.at(0).asString().toLowerCase(java.util.Locale.ROOT);
                if (List.of("host", "connection", "content-length", "upgrade", "http2-settings").contains(name)) continue;
                one.add(name + ": " + h.at(1).asString());
            }
            one.sort(null);
            out.addAll(one);
            out.add("--");
        }
        return out;
    }
}
