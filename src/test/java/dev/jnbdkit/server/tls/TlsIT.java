package dev.jnbdkit.server.tls;

import dev.jnbdkit.it.Cmd;
import dev.jnbdkit.it.RawNbd;
import dev.jnbdkit.it.Server;
import dev.jnbdkit.protocol.OptionRequests;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * TLS end to end with real GnuTLS clients (libnbd's nbdinfo, qemu-img) and raw sockets, as
 * nbdkit-tls(1) describes: X.509 (certtool-made certificates) and PSK (username:hexkey),
 * --tls=on|require|off, --tls-verify-peer, --run's $tls and nbds URIs, and what a server under
 * --tls=require answers before TLS (nothing but STARTTLS and ABORT; no plugin callback but
 * preconnect).
 *
 * <p>The server is {@code <jnbdkit.home>/bin/jnbdkit}, or {@code -Djnbdkit.server=/usr/bin/nbdkit}
 * to hold Debian's nbdkit to the same expectations. Certificates are made with certtool
 * (gnutls-bin, installed here when missing and running as root).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TlsIT {
    private static final int OPT_EXPORT_NAME = 1, OPT_ABORT = 2, OPT_LIST = 3, OPT_STARTTLS = 5, OPT_INFO = 6,
            OPT_GO = 7, OPT_STRUCTURED_REPLY = 8, OPT_LIST_META_CONTEXT = 9;
    private static final int REP_ACK = 1, REP_ERR_TLS_REQD = 0x80000005, REP_ERR_UNSUP = 0x80000001;

    private Path dir;
    private Path pki, otherCa, noClientCert, psk, wrongPsk, qemuPsk;

    record Result(int status, String output) {}

    // ---- set-up -------------------------------------------------------------------------

    @BeforeAll
    void makeCredentials() throws Exception {
        ensureCerttool();
        dir = Files.createTempDirectory("jnbdkit-tls-it");
        pki = dir.resolve("pki");
        makeCa(pki, "Test CA");
        makeCert(pki, pki, "server", "cn = localhost\ndns_name = localhost\nip_address = 127.0.0.1\ntls_www_server\n");
        makeCert(pki, pki, "client", "cn = client.example.com\ntls_www_client\n");
        otherCa = dir.resolve("other");
        makeCa(otherCa, "Other CA");
        makeCert(otherCa, otherCa, "client", "cn = client.example.com\ntls_www_client\n");
        noClientCert = dir.resolve("noclient");
        Files.createDirectories(noClientCert);
        Files.copy(pki.resolve("ca-cert.pem"), noClientCert.resolve("ca-cert.pem"));

        psk = dir.resolve("keys.psk");
        Files.writeString(psk, "alice:" + randomHex() + "\nbob:" + randomHex() + "\n");
        wrongPsk = dir.resolve("wrong.psk");
        Files.writeString(wrongPsk, "alice:" + randomHex() + "\n");
        qemuPsk = dir.resolve("qemu");
        Files.createDirectories(qemuPsk);
        Files.copy(psk, qemuPsk.resolve("keys.psk"));
    }

    @AfterAll
    void cleanUp() throws IOException {
        if (dir == null) return;
        try (var s = Files.walk(dir)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    private static void ensureCerttool() throws Exception {
        if (onPath("certtool")) return;
        if ("root".equals(System.getProperty("user.name"))) {
            exec(List.of("sh", "-c", "DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends gnutls-bin"
                    + " || (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends gnutls-bin)"),
                    null);
        }
        assertTrue(onPath("certtool"), "certtool (Debian package gnutls-bin) is needed to make test certificates");
    }

    private static boolean onPath(String program) {
        for (String d : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            if (Files.isExecutable(Path.of(d, program))) return true;
        }
        return false;
    }

    private static String randomHex() {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        return HexFormat.of().formatHex(key);
    }

    private static void makeCa(Path d, String name) throws Exception {
        Files.createDirectories(d);
        Files.writeString(d.resolve("ca.info"), "cn = " + name + "\nca\ncert_signing_key\nexpiration_days = 30\n");
        certtool(d, "--generate-privkey", "--outfile", "ca-key.pem");
        certtool(d, "--generate-self-signed", "--load-privkey", "ca-key.pem", "--template", "ca.info",
                "--outfile", "ca-cert.pem");
    }

    private static void makeCert(Path caDir, Path d, String who, String template) throws Exception {
        Files.writeString(d.resolve(who + ".info"),
                "organization = Test\n" + template + "encryption_key\nsigning_key\nexpiration_days = 30\n");
        certtool(d, "--generate-privkey", "--outfile", who + "-key.pem");
        certtool(d, "--generate-certificate", "--load-ca-certificate", caDir.resolve("ca-cert.pem").toString(),
                "--load-ca-privkey", caDir.resolve("ca-key.pem").toString(), "--load-privkey", who + "-key.pem",
                "--template", who + ".info", "--outfile", who + "-cert.pem");
    }

    private static void certtool(Path d, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("certtool"));
        cmd.addAll(List.of(args));
        Result r = exec(cmd, d);
        assertEquals(0, r.status(), () -> "certtool failed: " + r.output());
    }

    // ---- running the server ---------------------------------------------------------------

    static String program() { return Server.program(); }

    /** Runs {@code cmd} in {@code cwd} with the test's environment but {@code tls}; output merged. */
    private static Result exec(List<String> cmd, Path cwd) {
        Cmd c = Cmd.of(cmd).inheritPath().mergeOutput().unsetEnv("tls").timeout(Duration.ofSeconds(110));
        if (cwd != null) c.dir(cwd);
        Cmd.Result r = c.run();
        assertFalse(r.timedOut(), "timed out: " + cmd);
        return new Result(r.exit(), r.out());
    }

    /** {@code jnbdkit -U - ARGS... memory 1M --run COMMAND} in the test directory. */
    private Result captive(String command, String... tlsArgs) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(program(), "-U", "-"));
        cmd.addAll(List.of(tlsArgs));
        cmd.addAll(List.of("memory", "1M", "--run", command));
        return exec(cmd, dir);
    }

    /** {@code jnbdkit -p FREE_PORT ARGS... memory 1M --run COMMAND}. */
    private Result tcp(String command, String... tlsArgs) throws Exception {
        int port;
        try (var probe = new java.net.ServerSocket(0)) {
            port = probe.getLocalPort();
        }
        List<String> cmd = new ArrayList<>(List.of(program(), "-p", Integer.toString(port)));
        cmd.addAll(List.of(tlsArgs));
        cmd.addAll(List.of("memory", "1M", "--run", command));
        return exec(cmd, dir);
    }

    private static final String SIZE_PSK = "nbdinfo --size \"nbds+unix://alice@/?socket=$unixsocket&tls-psk-file=%s\"";
    private static final String SIZE_X509 = "nbdinfo --size \"nbds+unix:///?socket=$unixsocket&tls-certificates=%s\"";
    private static final String SIZE_PLAIN = "nbdinfo --size \"nbd+unix:///?socket=$unixsocket\"";

    private static void ok(Result r) {
        assertEquals(0, r.status(), r::output);
        assertTrue(r.output().contains("1048576"), r::output);
    }

    private static void refused(Result r) {
        assertNotEquals(0, r.status(), r::output);
        assertFalse(r.output().contains("1048576"), r::output);
    }

    // ---- PSK --------------------------------------------------------------------------------

    @Nested
    class Psk {
        @Test
        void nbdinfoWithTheRightKey() throws Exception {
            ok(captive(SIZE_PSK.formatted(psk), "--tls=require", "--tls-psk=" + psk));
        }

        /**
         * GnuTLS offers ChaCha20-Poly1305 before AES-128-GCM; the server picks by its own order,
         * AES-GCM (0x1301), which runs on the CPU's AES instructions, not BouncyCastle's Java ChaCha20.
         */
        @Test
        void theServerChoosesAesGcmOverChaCha20() throws Exception {
            Result r = captive(SIZE_PSK.formatted(psk), "-v", "--tls=require", "--tls-psk=" + psk);
            ok(r);
            assertTrue(r.output().contains("TLS handshake complete: TLS 1.3, cipher suite 0x1301"), r::output);
        }

        @Test
        void everyUserOfTheFile() throws Exception {
            ok(captive(SIZE_PSK.replace("alice@", "bob@").formatted(psk), "--tls=require", "--tls-psk=" + psk));
        }

        @Test
        void wrongKeyIsRefused() throws Exception {
            refused(captive(SIZE_PSK.formatted(wrongPsk), "--tls=require", "--tls-psk=" + psk));
        }

        @Test
        void unknownUserIsRefused() throws Exception {
            Path carol = dir.resolve("carol.psk");
            Files.writeString(carol, "carol:" + randomHex() + "\n");
            refused(captive(SIZE_PSK.replace("alice@", "carol@").formatted(carol), "--tls=require", "--tls-psk=" + psk));
        }

        @Test
        void qemuImgWithTlsCredsPsk() throws Exception {
            Result r = captive("qemu-img info --output=json --object tls-creds-psk,id=tls0,dir=" + qemuPsk
                    + ",username=alice,endpoint=client --image-opts driver=nbd,path=$unixsocket,tls-creds=tls0",
                    "--tls=require", "--tls-psk=" + psk);
            assertEquals(0, r.status(), r::output);
            assertTrue(r.output().contains("\"virtual-size\": 1048576"), r::output);
        }

        @Test
        void tlsPskAloneMeansTlsOnNotRequired() throws Exception {
            ok(captive(SIZE_PSK.formatted(psk) + " && " + SIZE_PLAIN + " && test \"$tls\" = 1", "--tls-psk=" + psk));
        }
    }

    // ---- X.509 ------------------------------------------------------------------------------

    @Nested
    class X509 {
        @Test
        void nbdinfoTrustingTheCa() throws Exception {
            ok(captive(SIZE_X509.formatted(noClientCert), "--tls=require", "--tls-certificates=" + pki));
        }

        /** Over TCP, where libnbd checks the server's certificate (over a Unix socket libnbd 1.14 does not). */
        @Test
        void clientTrustingAnotherCaRefusesTheServer() throws Exception {
            String size = "nbdinfo --size \"nbds://localhost:$port/?tls-certificates=%s\"";
            ok(tcp(size.formatted(noClientCert), "--tls=require", "--tls-certificates=" + pki));
            refused(tcp(size.formatted(otherCa), "--tls=require", "--tls-certificates=" + pki));
        }

        @Test
        void verifyPeerAcceptsAClientCertificateFromTheCa() throws Exception {
            ok(captive(SIZE_X509.formatted(pki), "--tls=require", "--tls-certificates=" + pki, "--tls-verify-peer"));
        }

        @Test
        void verifyPeerRefusesAClientWithoutCertificate() throws Exception {
            refused(captive(SIZE_X509.formatted(noClientCert), "--tls=require", "--tls-certificates=" + pki,
                    "--tls-verify-peer"));
        }

        @Test
        void verifyPeerRefusesAClientCertificateFromAnotherCa() throws Exception {
            Path mixed = dir.resolve("mixed");
            Files.createDirectories(mixed);
            Files.copy(pki.resolve("ca-cert.pem"), mixed.resolve("ca-cert.pem"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            Files.copy(otherCa.resolve("client-cert.pem"), mixed.resolve("client-cert.pem"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            Files.copy(otherCa.resolve("client-key.pem"), mixed.resolve("client-key.pem"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            refused(captive(SIZE_X509.formatted(mixed), "--tls=require", "--tls-certificates=" + pki, "--tls-verify-peer"));
        }

        @Test
        void qemuImgWithTlsCredsX509() throws Exception {
            Result r = captive("qemu-img info --output=json --object tls-creds-x509,id=tls0,dir=" + pki
                    + ",endpoint=client --image-opts driver=nbd,path=$unixsocket,tls-creds=tls0,tls-hostname=localhost",
                    "--tls=require", "--tls-certificates=" + pki, "--tls-verify-peer");
            assertEquals(0, r.status(), r::output);
            assertTrue(r.output().contains("\"virtual-size\": 1048576"), r::output);
        }

        @Test
        void qemuImgTrustingAnotherCaIsRefused() throws Exception {
            Result r = captive("qemu-img info --object tls-creds-x509,id=tls0,dir=" + otherCa
                    + ",endpoint=client --image-opts driver=nbd,path=$unixsocket,tls-creds=tls0,tls-hostname=localhost",
                    "--tls=require", "--tls-certificates=" + pki);
            assertNotEquals(0, r.status(), r::output);
        }

        @Test
        void requireWithoutCertificatesIsAStartUpError() throws Exception {
            Result r = captive("true", "--tls=require", "--tls-certificates=" + dir.resolve("nonexistent"));
            assertEquals(1, r.status(), r::output);
            assertTrue(r.output().contains("--tls=require but could not load TLS certificates"), r::output);
        }

        @Test
        void onWithoutCertificatesWarnsAndServesPlaintext() throws Exception {
            Result r = captive(SIZE_PLAIN + " && test -z \"$tls\"", "--tls=on", "--tls-certificates=" + dir.resolve("nonexistent"));
            ok(r);
            assertTrue(r.output().contains("--tls=on but could not load TLS certificates"), r::output);
        }
    }

    // ---- modes --------------------------------------------------------------------------------

    @Nested
    class Modes {
        @Test
        void plaintextClientUnderRequireIsRefused() throws Exception {
            Result r = captive(SIZE_PLAIN, "--tls=require", "--tls-psk=" + psk);
            refused(r);
            assertTrue(r.output().contains("TLS"), r::output);
        }

        @Test
        void onLetsBothPlaintextAndTlsClientsIn() throws Exception {
            ok(captive(SIZE_PLAIN + " && " + SIZE_PSK.formatted(psk), "--tls=on", "--tls-psk=" + psk));
        }

        @Test
        void offRefusesStartTls() throws Exception {
            ok(captive(SIZE_PLAIN, "--tls=off", "--tls-psk=" + psk));
            refused(captive(SIZE_PSK.formatted(psk), "--tls=off", "--tls-psk=" + psk));
        }

        @Test
        void runGetsTlsAndAnNbdsUriUnderRequire() throws Exception {
            Result r = captive("echo \"tls=$tls uri=$uri\"", "--tls=require", "--tls-psk=" + psk);
            assertEquals(0, r.status(), r::output);
            assertTrue(r.output().contains("tls=2 uri=nbds+unix://"), r::output);
            r = captive("echo \"tls=$tls uri=$uri\"", "--tls=on", "--tls-psk=" + psk);
            assertTrue(r.output().contains("tls=1 uri=nbd+unix://"), r::output);
            r = captive("echo \"tls=${tls-unset} uri=$uri\"", "--tls=off");
            assertTrue(r.output().contains("tls=unset uri=nbd+unix://"), r::output);
        }

        @Test
        void runUriIsNbdsOverTcpToo() throws Exception {
            Result r = tcp("echo \"uri=$uri\"", "--tls=require", "--tls-psk=" + psk);
            assertTrue(r.output().contains("uri=nbds://localhost:"), r::output);
        }
    }

    // ---- raw protocol under --tls=require ----------------------------------------------------------

    /**
     * A server in the background on a Unix socket, ready once the socket file appears (no probe
     * connection: the tests count the plugin's preconnect calls).
     */
    private final class Background implements AutoCloseable {
        final Server server;
        final Path socket;

        Background(String... args) {
            socket = dir.resolve("bg-" + System.nanoTime() + ".sock");
            Path log = dir.resolve("bg-" + System.nanoTime() + ".log");
            List<String> cmd = new ArrayList<>(Server.argv("-f", "-U", socket.toString()));
            cmd.addAll(List.of(args));
            server = Server.launch(cmd).socket(socket).dir(dir).log(log).readyWhen(socket).killOnClose().ready();
        }

        /** Connects; the socket file exists from bind(), a moment before listen(): retry briefly. */
        RawNbd connect() throws IOException, InterruptedException {
            for (int tries = 0; ; tries++) {
                try {
                    return RawNbd.connect(socket);
                } catch (java.net.ConnectException e) {
                    if (tries >= 200) throw e;
                    Thread.sleep(25);
                }
            }
        }

        @Override
        public void close() {
            server.close();
        }
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            return "";
        }
    }

    /** Greeting read, fixed-newstyle flags sent (no NO_ZEROES). */
    private static void greet(RawNbd c) throws IOException {
        c.greeting();
        c.clientFlags(1);
    }

    private static ByteBuffer option(int option, byte[] payload) {
        return OptionRequests.option(option, payload);
    }

    /** One option reply: {option, type, payload length}; the payload is skipped. */
    private static int[] reply(RawNbd c) throws IOException {
        RawNbd.OptReply r = c.optReply();
        return new int[] {r.option(), r.type(), r.data().length};
    }

    private static void write(RawNbd c, ByteBuffer... bs) throws IOException {
        c.send(bs);
    }

    /** True if the server closes the connection (possibly after some bytes) within a few seconds. */
    private static boolean closedSoon(RawNbd c) throws Exception {
        return c.closesWithin(Duration.ofSeconds(10));
    }

    /** The first bytes the server sends next (empty if it closes), waiting at most 10 s. */
    private static byte[] nextBytes(RawNbd c) throws Exception {
        return c.nextBytes(Duration.ofSeconds(10));
    }

    private Path pluginScript() throws IOException {
        Path script = dir.resolve("callbacks.py");
        Files.writeString(script, """
                import builtins
                API_VERSION = 2
                log = None
                def config(key, value):
                    global log
                    if key == "log":
                        log = value
                def note(s):
                    with builtins.open(log, "a") as f:
                        f.write(s + "\\n")
                def preconnect(readonly):
                    note("preconnect")
                def list_exports(readonly, is_tls):
                    note("list_exports is_tls=%s" % is_tls)
                    return ["tls-export" if is_tls else "plain-export"]
                def default_export(readonly, is_tls):
                    note("default_export is_tls=%s" % is_tls)
                    return "tls-export" if is_tls else "plain-export"
                def open(readonly):
                    note("open")
                    return 1
                def get_size(h):
                    return 1048576
                def pread(h, buf, offset, flags):
                    buf[:] = bytes(len(buf))
                """);
        return script;
    }

    @Nested
    class Require {
        @Test
        void onlyStartTlsAndAbortAreServedBeforeTlsAndNoCallbackButPreconnectRuns() throws Exception {
            Path calls = dir.resolve("calls-" + System.nanoTime() + ".log");
            try (Background s = new Background("--tls=require", "--tls-psk=" + psk, "python",
                    pluginScript().toString(), "log=" + calls)) {
                try (RawNbd c = s.connect()) {
                    greet(c);
                    byte[] go = ByteBuffer.allocate(6).putInt(0).putShort((short) 0).array();
                    int[][] probes = {{OPT_LIST}, {OPT_INFO}, {OPT_GO}, {OPT_STRUCTURED_REPLY}, {OPT_LIST_META_CONTEXT}, {99}};
                    for (int[] p : probes) {
                        byte[] payload = p[0] == OPT_INFO || p[0] == OPT_GO ? go : new byte[0];
                        write(c, option(p[0], payload));
                        int[] r = reply(c);
                        assertEquals(p[0], r[0]);
                        assertEquals(REP_ERR_TLS_REQD, r[1], "option " + p[0]);
                    }
                    write(c, option(OPT_ABORT, new byte[0]));
                    int[] r = reply(c);
                    assertEquals(REP_ACK, r[1]);
                    assertTrue(closedSoon(c));
                }
                try (RawNbd c = s.connect()) {
                    greet(c);
                    write(c, option(OPT_EXPORT_NAME, new byte[0]));
                    assertTrue(closedSoon(c), "NBD_OPT_EXPORT_NAME before TLS must end the connection");
                }
                // nbdinfo over TLS: now list_exports & co run, and see is_tls = True.
                Result r = exec(List.of("nbdinfo", "--list", "nbds+unix://alice@/?socket=" + s.socket
                        + "&tls-psk-file=" + psk), dir);
                assertEquals(0, r.status(), r::output);
                assertTrue(r.output().contains("tls-export"), r::output);
            }
            String log = read(calls);
            String beforeTls = log.substring(0, log.indexOf("list_exports"));
            assertEquals("preconnect\npreconnect\npreconnect\n", beforeTls, log);
            assertFalse(log.contains("is_tls=False"), log);
        }

        @Test
        void plaintextSentRightAfterStartTlsIsNeverReadAsOptions() throws Exception {
            try (Background s = new Background("--tls=require", "--tls-psk=" + psk, "memory", "1M")) {
                try (RawNbd c = s.connect()) {
                    greet(c);
                    // STARTTLS and, in the same write, a plaintext NBD_OPT_LIST an attacker injected.
                    write(c, option(OPT_STARTTLS, new byte[0]), option(OPT_LIST, new byte[0]));
                    int[] r = reply(c);
                    assertEquals(OPT_STARTTLS, r[0]);
                    assertEquals(REP_ACK, r[1]);
                    // The injected bytes reach the TLS layer as a (bogus) record: what comes back is
                    // at most a TLS alert (content type 21), never an option reply.
                    byte[] next = nextBytes(c);
                    if (next.length > 0) assertEquals(21, next[0], "expected a TLS alert record, not an option reply");
                    assertTrue(closedSoon(c));
                }
            }
        }

        @Test
        void startTlsWithAPayloadIsInvalidAndAfterTlsIsInvalid() throws Exception {
            try (Background s = new Background("--tls=require", "--tls-psk=" + psk, "memory", "1M")) {
                try (RawNbd c = s.connect()) {
                    greet(c);
                    write(c, option(OPT_STARTTLS, new byte[] {1}));
                    assertEquals(0x80000003, reply(c)[1], "NBD_REP_ERR_INVALID");
                }
            }
        }
    }

    @Nested
    class IsTls {
        @Test
        void pythonListExportsSeesIsTls() throws Exception {
            Path calls = dir.resolve("calls-" + System.nanoTime() + ".log");
            String script = pluginScript().toString();
            Result r = exec(List.of(program(), "-U", "-", "--tls=on", "--tls-psk=" + psk, "python", script, "log=" + calls,
                    "--run", "nbdinfo --list \"nbd+unix:///?socket=$unixsocket\"; echo ===; "
                            + "nbdinfo --list \"nbds+unix://alice@/?socket=$unixsocket&tls-psk-file=" + psk + "\""), dir);
            assertEquals(0, r.status(), r::output);
            String[] parts = r.output().split("===");
            assertTrue(parts[0].contains("plain-export") && !parts[0].contains("tls-export"), r::output);
            assertTrue(parts[1].contains("tls-export") && !parts[1].contains("plain-export"), r::output);
            String log = read(calls);
            assertTrue(log.contains("list_exports is_tls=False") && log.contains("list_exports is_tls=True"), log);
        }
    }

    @Test
    void startTlsWhenOffIsUnsupported() throws Exception {
        try (Background s = new Background("--tls=off", "memory", "1M")) {
            try (RawNbd c = s.connect()) {
                greet(c);
                write(c, option(OPT_STARTTLS, new byte[0]));
                // jnbdkit: NBD_REP_ERR_UNSUP; Debian's nbdkit 1.32: NBD_REP_ERR_POLICY. Both are allowed.
                int type = reply(c)[1];
                assertTrue(type == REP_ERR_UNSUP || type == 0x80000002, "STARTTLS with TLS off: " + Integer.toHexString(type));
            }
        }
    }
}
