package dev.jnbdkit.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every way to reach the server: TCP (IPv4, IPv6, -4, -6), Unix socket, -U -, -s on
 * stdin/stdout, --run with each environment variable, socket activation (systemd's launcher
 * and libnbd's). Each transport is checked with a real client reading and writing data.
 */
class TransportsIT extends ItBase {
    static final long GIB = 1L << 30;

    /** A write then a read-back of a pattern, at the start and at the end of the 1 GiB disk. */
    static final String[] QEMU_IO_RW = {
        "-c", "write -P 0x5a 0 1M", "-c", "read -P 0x5a 0 1M",
        "-c", "write -P 0xa5 1073676288 64k", "-c", "read -P 0xa5 1073676288 64k",
        "-c", "read -P 0 1M 1M",
    };

    static void qemuIoRw(String uri) {
        String[] a = new String[QEMU_IO_RW.length + 4];
        a[0] = "qemu-io"; a[1] = "-f"; a[2] = "raw"; a[3] = uri;
        System.arraycopy(QEMU_IO_RW, 0, a, 4, QEMU_IO_RW.length);
        Cmd.of(a).ok();
    }

    static void assertMemory1G(Json info) {
        assertEquals("newstyle-fixed", info.get("protocol").asString(), "protocol");
        Json e = info.get("exports").at(0);
        assertEquals(GIB, e.get("export-size").asLong(), "export-size");
        assertEquals(false, e.get("is_read_only").asBool(), "is_read_only");
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void nbdinfoAndQemuIo(Transport t) {
        Server s = t.start(tmp, "memory", "1G");
        assertMemory1G(nbdinfoJson(s.uri()));
        qemuIoRw(s.uri());
        // A second connection sees the first one's data: one disk per server.
        Cmd.of("qemu-io", "-f", "raw", s.uri(), "-c", "read -P 0x5a 0 1M").ok();
        s.stop();
    }

    @Test
    void tcpWithoutAddressListensOnIpv4AndIpv6() {
        int port = Server.freePort();
        Server s = Server.startAndWait(Server.argv("-f", "-p", "" + port, "memory", "1G"), null, port);
        assertMemory1G(nbdinfoJson("nbd://127.0.0.1:" + port));
        assertMemory1G(nbdinfoJson("nbd://[::1]:" + port));
        s.stop();
    }

    @Test
    void ipv4Only() {
        int port = Server.freePort();
        Server s = Server.startAndWait(Server.argv("-f", "-4", "-p", "" + port, "memory", "1G"), null, port);
        assertMemory1G(nbdinfoJson("nbd://127.0.0.1:" + port));
        Cmd.of("nbdinfo", "--size", "nbd://[::1]:" + port).fails();
        s.stop();
    }

    @Test
    void ipv6Only() {
        int port = Server.freePort();
        Server s = Server.start(Server.argv("-f", "-6", "-p", "" + port, "memory", "1G"), null, port);
        // Not ready-checked through IPv4 (it must not answer there): poll with the IPv6 client.
        long deadline = System.nanoTime() + Server.READY_TIMEOUT.toNanos();
        Cmd.Result r;
        do {
            assertTrue(s.isAlive(), "server exited\n" + s.describe());
            r = Cmd.of("nbdinfo", "--size", "nbd://[::1]:" + port).run();
            if (r.exit() == 0) break;
            Server.sleep(200);
        } while (System.nanoTime() < deadline);
        r.ok();
        assertEquals(Long.toString(GIB), r.out().trim());
        Cmd.of("nbdinfo", "--size", "nbd://127.0.0.1:" + port).fails();
        s.stop();
    }

    @Test
    void ipAddrLoopbackOnly() {
        Server s = tcp("memory", "1G");
        assertMemory1G(nbdinfoJson("nbd://127.0.0.1:" + s.port()));
        Cmd.of("nbdinfo", "--size", "nbd://[::1]:" + s.port()).fails();
        s.stop();
    }

    /** -s: the connection is stdin/stdout; libnbd's connect_command runs the server so. */
    @Test
    void singleOnStdinStdout() {
        Cmd.Result r = python(resource("single.py"), Server.program());
        r.ok();
        assertTrue(r.out().contains("single: ok"), r.toString());
    }

    /** -s with the other clients, through an inetd-style bridge (one server per connection). */
    @Test
    void singleBehindInetdBridge() {
        Clients.require("systemd-socket-activate");
        Path sock = sock();
        List<String> a = new java.util.ArrayList<>(List.of(
                Clients.resolve("systemd-socket-activate").toString(), "--inetd", "-a", "-l", sock.toString()));
        a.addAll(Server.argv("-s", "memory", "1G"));
        Server bridge = Server.startAndWait(a, sock, 0);
        String uri = "nbd+unix:///?socket=" + sock;
        assertMemory1G(nbdinfoJson(uri));
        qemuIoRw(uri);
        bridge.terminate(); // systemd-socket-activate itself dies of the SIGTERM (143)
        // Each -s server exits by itself, with status 0, when its client disconnects.
        String log = bridge.stderr();
        assertTrue(log.contains("died with code 0"), log);
        assertTrue(!log.matches("(?s).*died with code [1-9].*"), "an -s server failed:\n" + log);
    }

    private Map<String, String> runEnv(String... serverArgs) {
        Path out = tmp.resolve("env.txt");
        List<String> a = new java.util.ArrayList<>(List.of(serverArgs));
        a.add("--run");
        a.add("printf '%s\\n' \"uri=$uri\" \"nbd=$nbd\" \"port=${port-UNSET}\" "
                + "\"unixsocket=${unixsocket-UNSET}\" \"exportname=${exportname-UNSET}\" "
                + "\"tls=${tls-UNSET}\" > " + out
                + " && PATH=/usr/bin:$PATH nbdinfo --json \"$uri\" > " + tmp.resolve("info.json"));
        runServer(a).ok();
        Map<String, String> env = new LinkedHashMap<>();
        try {
            for (String line : Files.readAllLines(out)) {
                int i = line.indexOf('=');
                env.put(line.substring(0, i), line.substring(i + 1));
            }
            assertMemory1G(Json.parse(Files.readString(tmp.resolve("info.json"))));
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
        return env;
    }

    /** nbdkit 1.32 writes nbd+unix://?socket=S for the empty export name; both forms are valid. */
    static void assertUnixUri(String socket, String uri) {
        assertTrue(uri.equals("nbd+unix:///?socket=" + socket) || uri.equals("nbd+unix://?socket=" + socket),
                "uri=" + uri);
    }

    @Test
    void runWithPrivateUnixSocket() {
        Map<String, String> env = runEnv("-U", "-", "memory", "1G");
        String us = env.get("unixsocket");
        assertTrue(us.startsWith("/"), "unixsocket=" + us);
        assertUnixUri(us, env.get("uri"));
        assertEquals(env.get("uri"), env.get("nbd"), "$nbd is $uri (nbdkit >= 1.24)");
        assertEquals("", env.get("port"), "port is set and empty with -U");
        assertEquals("", env.get("exportname"));
        assertEquals("UNSET", env.get("tls"), "tls is unset when TLS is off");
    }

    @Test
    void runWithExportName() {
        Map<String, String> env = runEnv("-U", "-", "-e", "foo", "memory", "1G");
        assertEquals("foo", env.get("exportname"));
        assertEquals("nbd+unix:///foo?socket=" + env.get("unixsocket"), env.get("uri"));
    }

    @Test
    void runWithTcp() {
        int port = Server.freePort();
        Map<String, String> env = runEnv("-i", "127.0.0.1", "-p", "" + port, "memory", "1G");
        assertEquals("" + port, env.get("port"));
        assertEquals("", env.get("unixsocket"), "unixsocket is set and empty with TCP");
        assertTrue(env.get("uri").startsWith("nbd://") && env.get("uri").endsWith(":" + port),
                "uri=" + env.get("uri"));
        assertEquals(env.get("uri"), env.get("nbd"));
    }

    @Test
    void runWithUnixSocketPath() {
        Path sock = sock();
        Map<String, String> env = runEnv("-U", sock.toString(), "memory", "1G");
        assertEquals(sock.toString(), env.get("unixsocket"));
        assertUnixUri(sock.toString(), env.get("uri"));
    }

    /** libnbd's own socket activation: {@code nbdinfo -- [ server ARGS ]}. */
    @Test
    void socketActivationByLibnbd() {
        List<String> a = new java.util.ArrayList<>(List.of("nbdinfo", "--json", "--", "["));
        a.addAll(Server.argv("memory", "1G"));
        a.add("]");
        Cmd.Result r = Cmd.of(a).ok();
        assertMemory1G(Json.parse(r.out()));
        List<String> c = new java.util.ArrayList<>(List.of("nbdcopy", "--", "["));
        c.addAll(Server.argv("memory", "1G"));
        c.add("]");
        c.add(tmp.resolve("out.img").toString());
        Cmd.of(c).ok();
        assertEquals(GIB, tmp.resolve("out.img").toFile().length());
    }

    /**
     * A client that dies without closing its libnbd handle (nbdcopy failing a copy does that) must
     * not leave its socket-activated server behind: nbdkit exits with the parent that activated
     * it, and so must we (found as stray servers holding the test run's pipes open).
     */
    @ParameterizedTest
    @EnumSource(Server.Impl.class)
    void aSocketActivatedServerExitsWithItsParent(Server.Impl impl) throws Exception {
        String marker = "size=" + (1_000_000 + ProcessHandle.current().pid() % 1000 * 1000 + impl.ordinal());
        List<String> argv = new java.util.ArrayList<>(List.of(impl.command(), "null", marker));
        String script = "import nbd, os, sys\n"
                + "h = nbd.NBD()\n"
                + "h.connect_systemd_socket_activation(sys.argv[1:])\n"
                + "print(h.get_size(), flush=True)\n"
                + "os._exit(0)  # no nbd_close: libnbd never sends its SIGTERM\n";
        Cmd.Result r = python(script, argv.toArray(String[]::new)).ok();
        assertEquals(marker.substring("size=".length()), r.out().strip());
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(20);
        List<ProcessHandle> left;
        do {
            left = ProcessHandle.allProcesses()
                    .filter(ph -> ph.info().arguments().map(a -> List.of(a).contains(marker)).orElse(false))
                    .toList();
            if (left.isEmpty()) return;
            Thread.sleep(100);
        } while (System.nanoTime() < deadline);
        left.forEach(ProcessHandle::destroyForcibly);
        throw new AssertionError(impl + " server still running 20 s after its parent exited: " + left);
    }

    /** Socket activation over TCP (systemd-socket-activate -l ADDR:PORT). */
    @Test
    void socketActivationTcp() {
        Clients.require("systemd-socket-activate");
        int port = Server.freePort();
        List<String> a = new java.util.ArrayList<>(List.of(
                Clients.resolve("systemd-socket-activate").toString(), "-l", "127.0.0.1:" + port));
        a.addAll(Server.argv("memory", "1G"));
        Server s = Server.startAndWait(a, null, port);
        assertMemory1G(nbdinfoJson("nbd://127.0.0.1:" + port));
        qemuIoRw("nbd://127.0.0.1:" + port);
        s.stop();
    }
}
