package dev.jnbdkit.it;

import dev.jnbdkit.it.Server.Impl;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code nbd}: jnbdkit as a proxy in front of another NBD server (Debian's nbdkit with various
 * plugins, qemu-nbd), through real clients, and side by side with nbdkit's own nbd plugin over
 * the same backend server: the same bytes, extents, advertised flags and errors.
 */
class NbdPluginIT extends ItBase {

    /** Debian's nbdkit serving {@code args} on {@code tmp/NAME}: the server being proxied. */
    private Server backend(String name, String... args) {
        Path s = sock(name);
        List<String> a = new ArrayList<>(List.of("-f", "-U", s.toString()));
        a.addAll(List.of(args));
        return Server.launch(Impl.NBDKIT, a).socket(s).ready();
    }

    /** nbdinfo --json without the line that names the server's own URI. */
    private static String facts(String uri) {
        StringBuilder b = new StringBuilder();
        for (String l : Cmd.of("nbdinfo", "--json", uri).ok().out().split("\n")) {
            if (!l.contains("\"uri\"")) b.append(l).append('\n');
        }
        return b.toString();
    }

    /** The same command line under both servers: nbdinfo's facts must match. */
    private void sameFacts(String... args) {
        Path dir;
        try {
            dir = Files.createTempDirectory(tmp, "pair");
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        var both = Server.pair(dir, args);
        assertEquals(facts(both.get(Impl.NBDKIT).uri()), facts(both.get(Impl.JNBDKIT).uri()),
                "expected = nbdkit, actual = jnbdkit, for " + List.of(args));
        both.values().forEach(Server::stop);
    }

    @Test
    void proxiesNbdkitMemoryThroughRealClients() throws IOException {
        Server back = backend("back", "memory", "8M");
        Server s = unix("nbd", "socket=" + back.socket());
        Path src = randomFile("src", 8 << 20, 1);
        Path out = tmp.resolve("out");
        Cmd.of("nbdcopy", src.toString(), s.uri()).ok();
        Cmd.of("nbdcopy", s.uri(), out.toString()).ok();
        assertFilesEqual(src, out);
        Cmd.of("qemu-io", "-f", "raw", "-c", "write -P 0x55 4k 4k", "-c", "write -z -u 1M 1M", "-c", "discard 4M 1M",
                "-c", "flush", "-c", "read -P 0x55 4k 4k", "-c", "read -P 0 1M 1M", s.uri()).ok();
        // What the proxy reports is what the backend reports.
        assertEquals(Cmd.of("nbdinfo", "--map", back.uri()).ok().out(), Cmd.of("nbdinfo", "--map", s.uri()).ok().out());
        Cmd.of("nbdcopy", s.uri(), out.toString()).ok();
        Cmd.of("nbdcopy", back.uri(), src.toString()).ok();
        assertFilesEqual(src, out);
    }

    @Test
    void sameAsNbdkitsNbdPluginOverTheSameBackend() {
        Server back = backend("back", "data", "1 2 3 @1048576 \"hello\" @2097152 (0x55)*65536 @4194304", "size=8M");
        String arg = "socket=" + back.socket();
        PluginDiff.Seen seen = PluginDiff.assertSameDisk(tmp, "nbd", arg);
        assertEquals(8 << 20, seen.size());
        assertTrue(seen.map().contains("hole"), seen.map());
        sameFacts("nbd", arg);
        sameFacts("-r", "nbd", arg);
        Server mem = backend("mem", "memory", "1M");
        PluginDiff.assertSameScript(tmp, resource("data/caps.py"), "nbd", "socket=" + mem.socket());
        PluginDiff.assertSameScript(tmp, resource("data/reqone.py"), "nbd", arg);
    }

    @Test
    void remoteErrorsReachTheClientAsNbdkitPassesThem() {
        Server full = backend("full", "full", "1M");
        String out = PluginDiff.assertSameScript(tmp, resource("data/caps.py"), "nbd", "socket=" + full.socket());
        assertTrue(out.contains("write what is there fails: 28"), out); // ENOSPC from the backend
        Server ro = backend("ro", "-r", "memory", "1M");
        sameFacts("nbd", "socket=" + ro.socket());
        String r = python("""
                import nbd, sys
                h = nbd.NBD(); h.set_strict_mode(0); h.connect_uri(sys.argv[1])
                try:
                    h.pwrite(b'x', 0)
                except nbd.Error as e:
                    print(e.errnum)
                """, unix("nbd", "socket=" + ro.socket()).uri()).ok().out();
        assertEquals("1\n", r); // EPERM
    }

    @Test
    void flagsArePassedThrough() throws IOException {
        Path log = tmp.resolve("back.log");
        Server back = backend("back", "--filter=log", "memory", "1M", "logfile=" + log);
        Server s = unix("nbd", "socket=" + back.socket());
        python("""
                import nbd, sys
                h = nbd.NBD(); h.add_meta_context(nbd.CONTEXT_BASE_ALLOCATION); h.connect_uri(sys.argv[1])
                h.pwrite(b'a' * 512, 0, nbd.CMD_FLAG_FUA)
                h.zero(4096, 8192, nbd.CMD_FLAG_NO_HOLE)
                h.zero(4096, 16384, nbd.CMD_FLAG_FAST_ZERO | nbd.CMD_FLAG_FUA)
                h.trim(4096, 32768, nbd.CMD_FLAG_FUA)
                h.cache(4096, 0)
                h.block_status(65536, 0, lambda *a: 0, nbd.CMD_FLAG_REQ_ONE)
                h.flush()
                """, s.uri()).ok();
        s.stop();
        String l = Files.readString(log);
        assertTrue(l.matches("(?s).*Write id=\\d+ offset=0x0 count=0x200 fua=1.*"), l);
        assertTrue(l.matches("(?s).*Zero id=\\d+ offset=0x2000 count=0x1000 trim=0 fua=0 fast=0.*"), l);
        assertTrue(l.matches("(?s).*Zero id=\\d+ offset=0x4000 count=0x1000 trim=1 fua=1 fast=1.*"), l);
        assertTrue(l.matches("(?s).*Trim id=\\d+ offset=0x8000 count=0x1000 fua=1.*"), l);
        assertTrue(l.matches("(?s).*Cache id=\\d+ offset=0x0 count=0x1000.*"), l);
        assertTrue(l.matches("(?s).*Extents id=\\d+ offset=0x0 count=0x10000 req_one=1.*"), l);
        assertTrue(l.contains("Flush id="), l);
    }

    @Test
    void qemuNbdBackendAndCommand() throws IOException {
        Clients.require("qemu-nbd");
        Path q = tmp.resolve("disk.qcow2");
        Cmd.of("qemu-img", "create", "-f", "qcow2", q.toString(), "4M").ok();
        Cmd.of("qemu-io", "-f", "qcow2", "-c", "write -P 0x11 0 64k", "-c", "write -P 0x22 2M 4k", q.toString()).ok();
        Path raw = tmp.resolve("raw");
        Cmd.of("qemu-img", "convert", "-f", "qcow2", "-O", "raw", q.toString(), raw.toString()).ok();

        Path qs = sock("qemu");
        Server qn = Server.launch(List.of("qemu-nbd", "-t", "-e", "4", "-f", "qcow2", "-k", qs.toString(), q.toString())).socket(qs).ready();
        try {
            Server s = unix("nbd", "socket=" + qs);
            Path out = tmp.resolve("out");
            Cmd.of("qemu-img", "convert", "-f", "raw", "-O", "raw", s.uri(), out.toString()).ok();
            assertFilesEqual(raw, out);
            String direct = Cmd.of("nbdinfo", "--map", "nbd+unix:///?socket=" + qs).ok().out();
            assertEquals(direct, Cmd.of("nbdinfo", "--map", s.uri()).ok().out());
            Cmd.of("qemu-io", "-f", "raw", "-c", "write -P 0x33 1M 8k", "-c", "read -P 0x33 1M 8k", s.uri()).ok();
            s.stop();
            PluginDiff.assertSameDisk(tmp, "nbd", "socket=" + qs);
        } finally {
            qn.terminate();
        }
        // command=: the proxy starts qemu-nbd itself (socket activation) and stops it at exit.
        PluginDiff.Seen seen = PluginDiff.assertSameDisk(tmp, "nbd", "command=qemu-nbd", "arg=-f", "arg=qcow2", "arg=" + q);
        assertEquals(4 << 20, seen.size());
        PluginDiff.assertSameDisk(tmp, "nbd", "command=nbdkit", "arg=pattern", "arg=1M");
    }

    @Test
    void urisHostnamesAndExports() {
        Server back = backend("back", "info", "exportname");
        String sockArg = back.socket().toString();
        // uri is the magic key
        PluginDiff.assertSameDisk(tmp, "nbd", "nbd+unix:///foo?socket=" + sockArg);
        PluginDiff.assertSameDisk(tmp, "nbd", "socket=" + sockArg, "export=bar");
        // dynamic-export passes the client's export name on
        var both = Server.pair(tmp, "nbd", "socket=" + sockArg, "dynamic-export=true");
        for (Server s : both.values()) {
            String got = python("""
                    import nbd, sys
                    h = nbd.NBD(); h.set_export_name('baz'); h.connect_unix(sys.argv[1])
                    print(bytes(h.pread(h.get_size(), 0)))
                    """, s.socket().toString()).ok().out();
            assertEquals("b'baz'\n", got, s.impl() + " with dynamic-export");
        }
        both.values().forEach(Server::stop);

        int port = Server.freePort();
        Server tcp = Server.launch(Impl.NBDKIT, List.of("-f", "-i", "127.0.0.1", "-p", Integer.toString(port), "pattern", "1M"))
                .port(port).ready();
        PluginDiff.assertSameDisk(tmp, "nbd", "hostname=127.0.0.1", "port=" + port);
        PluginDiff.assertSameDisk(tmp, "nbd", "uri=nbd://127.0.0.1:" + port + "/");
        tcp.stop();
    }

    @Test
    void tlsWithPreSharedKeys() throws IOException {
        Path keys = tmp.resolve("keys.psk");
        Cmd.of("psktool", "-u", "alice", "-p", keys.toString()).ok();
        Server back = backend("back", "--tls=require", "--tls-psk=" + keys, "memory", "4M");
        String[] args = {"nbd", "socket=" + back.socket(), "tls=require", "tls-psk=" + keys, "tls-username=alice"};
        Server s = unix(args);
        Path src = randomFile("src", 4 << 20, 3);
        Path out = tmp.resolve("out");
        Cmd.of("nbdcopy", src.toString(), s.uri()).ok();
        Cmd.of("nbdcopy", s.uri(), out.toString()).ok();
        assertFilesEqual(src, out);
        s.stop();
        PluginDiff.assertSameDisk(tmp, args);
        // nbds:// requires TLS (the page); Debian's nbdkit 1.32 connects without it and is refused.
        Server viaUri = unix("nbd", "nbds+unix://alice@/?socket=" + back.socket() + "&tls-psk-file=" + keys);
        Cmd.of("nbdcopy", viaUri.uri(), out.toString()).ok();
        assertFilesEqual(src, out);
        viaUri.stop();
        // Without TLS the backend refuses the export; with tls=on against a plaintext server it goes on.
        Server plainProxy = unix("nbd", "socket=" + back.socket());
        Cmd.of("nbdinfo", plainProxy.uri()).fails();
        plainProxy.stop();
        Server plain = backend("plain", "memory", "1M");
        PluginDiff.assertSameDisk(tmp, "nbd", "socket=" + plain.socket(), "tls=on", "tls-psk=" + keys, "tls-username=alice");
        Server strict = unix("nbd", "socket=" + plain.socket(), "tls=require", "tls-psk=" + keys);
        Cmd.of("nbdinfo", strict.uri()).fails();
        assertTrue(strict.stderr().contains("tls=require"), strict.stderr());
    }

    /** A CA and a server certificate for localhost in {@code dir} (nbdkit's file names), by certtool. */
    private static void certificates(Path dir) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("ca.info"), "cn = Test CA\nca\ncert_signing_key\nexpiration_days = 30\n");
        Files.writeString(dir.resolve("server.info"), "organization = Test\ncn = localhost\ndns_name = localhost\n"
                + "tls_www_server\nencryption_key\nsigning_key\nexpiration_days = 30\n");
        for (List<String> c : List.of(
                List.of("--generate-privkey", "--outfile", "ca-key.pem"),
                List.of("--generate-self-signed", "--load-privkey", "ca-key.pem", "--template", "ca.info", "--outfile", "ca-cert.pem"),
                List.of("--generate-privkey", "--outfile", "server-key.pem"),
                List.of("--generate-certificate", "--load-ca-certificate", "ca-cert.pem", "--load-ca-privkey", "ca-key.pem",
                        "--load-privkey", "server-key.pem", "--template", "server.info", "--outfile", "server-cert.pem"))) {
            List<String> argv = new ArrayList<>(List.of("certtool"));
            argv.addAll(c);
            Cmd.of(argv).dir(dir).ok();
        }
    }

    @Test
    void tlsWithX509Certificates() throws IOException {
        Path pki = tmp.resolve("pki"), other = tmp.resolve("other");
        certificates(pki);
        certificates(other);
        int port = Server.freePort();
        Server back = Server.launch(Impl.NBDKIT, List.of("-f", "-i", "127.0.0.1", "-p", Integer.toString(port),
                "--tls=require", "--tls-certificates=" + pki, "pattern", "1M")).port(port).ready();
        String[] args = {"nbd", "hostname=localhost", "port=" + port, "tls=require", "tls-certificates=" + pki};
        PluginDiff.Seen seen = PluginDiff.assertSameDisk(tmp, args);
        assertEquals(1 << 20, seen.size());
        // A server certificate from another CA is refused, unless verification is off.
        Server wrongCa = unix("nbd", "hostname=localhost", "port=" + port, "tls=require", "tls-certificates=" + other);
        Cmd.of("nbdinfo", wrongCa.uri()).fails();
        assertTrue(wrongCa.stderr().contains("TLS handshake with the server failed"), wrongCa.stderr());
        wrongCa.stop();
        // The certificate names localhost, not 127.0.0.1.
        Server wrongName = unix("nbd", "hostname=127.0.0.1", "port=" + port, "tls=require", "tls-certificates=" + pki);
        Cmd.of("nbdinfo", wrongName.uri()).fails();
        wrongName.stop();
        Server unverified = unix("nbd", "hostname=127.0.0.1", "port=" + port, "tls=require", "tls-certificates=" + other,
                "tls-verify=false");
        assertEquals("1048576\n", Cmd.of("nbdinfo", "--size", unverified.uri()).ok().out());
        unverified.stop();
        back.stop();
    }

    @Test
    void sharedConnectionWithRetry() throws Exception {
        Path late = sock("late");
        Path front = sock();
        Server s = Server.launch(Server.argv("-f", "-U", front.toString(), "nbd", "socket=" + late, "shared=true", "retry=20"))
                .socket(front).start();
        Thread.sleep(2000); // the proxy is retrying
        Server back = backend("late", "memory", "1M");
        s.awaitReady();
        assertEquals("1048576\n", Cmd.of("nbdinfo", "--size", s.uri()).ok().out());
        // Both clients use the one connection: what one writes the other reads.
        Cmd.of("nbdsh", "-u", s.uri(), "-c", "h.pwrite(b'shared', 0)").ok();
        assertEquals("bytearray(b'shared')\n", Cmd.of("nbdsh", "-u", s.uri(), "-c", "print(h.pread(6, 0))").ok().out());
        s.stop();
        back.stop();
    }

    @Test
    void unreachableServerFailsTheClientNotTheProxy() {
        Server s = unix("nbd", "socket=" + tmp.resolve("nonexistent"));
        Cmd.of("nbdinfo", s.uri()).fails();
        assertTrue(s.stderr().contains("nonexistent"), s.stderr());
        Cmd.of("nbdinfo", s.uri()).fails(); // and again: the proxy is still serving
        assertTrue(s.isAlive());
        // shared=true connects at start-up: an unreachable server stops it.
        Cmd.Result r = runServer("-U", "-", "nbd", "socket=" + tmp.resolve("nonexistent"), "shared=true", "--run", "true").exit(1);
        assertTrue(r.err().contains("nonexistent"), r.toString());
    }

    @Test
    void remoteDisconnectMidRequestIsAnIoError() throws Exception {
        Server back = backend("slow", "--filter=delay", "memory", "1M", "rdelay=5");
        Server s = unix("nbd", "socket=" + back.socket());
        CompletableFuture<Cmd.Result> client = CompletableFuture.supplyAsync(() -> python("""
                import nbd, sys
                h = nbd.NBD(); h.connect_uri(sys.argv[1])
                for i in range(2):
                    try:
                        h.pread(512, 0); print('read')
                    except nbd.Error as e:
                        print(e.errnum)
                """, s.uri()));
        Thread.sleep(1500); // the read waits in the backend's delay
        back.kill();
        Cmd.Result r = client.get();
        assertEquals("5\n5\n", r.ok().out(), r.toString()); // EIO, and EIO again without a hang
        assertTrue(s.stderr().contains("lost the connection to the NBD server"), s.stderr());
    }

    @Test
    void badCommandLinesAsNbdkit() {
        Differential.assertSameRefusal("nbd");
        Differential.assertSameRefusal("nbd", "socket=/a", "hostname=b");
        Differential.assertSameRefusal("nbd", "socket=/a", "export=x", "dynamic-export=true");
        Differential.assertSameRefusal("nbd", "socket=/a", "shared=true", "dynamic-export=true");
        Differential.assertSameRefusal("nbd", "socket=/a", "shared=maybe");
        Differential.assertSameRefusal("nbd", "socket=/a", "retry=x");
        Differential.assertSameRefusal("nbd", "socket=/a", "tls=maybe");
        Differential.assertSameRefusal("nbd", "socket=/a", "foo=bar");
        String dump = runServer("nbd", "--dump-plugin").ok().out();
        assertTrue(dump.contains("\nlibnbd_tls=1\n") && dump.contains("\nlibnbd_uri=1\n"), dump);
    }
}
