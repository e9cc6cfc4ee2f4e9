package dev.jnbdkit.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The command line, option by option, as nbdkit(1) behaves. */
class OptionsIT extends ItBase {
    static final long GIB = 1L << 30;

    static Map<String, String> keyValues(String text) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            int i = line.indexOf('=');
            if (i > 0) m.putIfAbsent(line.substring(0, i), line.substring(i + 1));
        }
        return m;
    }

    // ---- information -----------------------------------------------------------------------

    @Test
    void version() {
        Cmd.Result r = runServer("-V").ok();
        assertTrue(r.out().strip().matches("(?s)\\S*nbdkit \\d+\\.\\d+\\.\\d+.*"), "-V prints 'nbdkit X.Y.Z'\n" + r);
        assertEquals(r.out(), runServer("--version").ok().out());
    }

    @Test
    void help() {
        Cmd.Result r = runServer("--help").ok();
        for (String o : List.of("--dump-plugin", "--run", "--exit-with-parent", "-U", "-P", "--mask-handshake",
                "--no-sr", "--log", "PLUGIN")) {
            assertTrue(r.out().contains(o), "--help mentions " + o + "\n" + r);
        }
    }

    @Test
    void pluginHelp() {
        Cmd.Result r = runServer("memory", "--help").ok();
        assertTrue(r.out().contains("size="), "memory --help documents size=\n" + r);
    }

    @Test
    void dumpConfig() {
        Map<String, String> m = keyValues(runServer("--dump-config").ok().out());
        for (String k : List.of("version", "version_major", "version_minor", "exit_with_parent")) {
            assertTrue(m.containsKey(k), "--dump-config has " + k + ": " + m);
        }
        assertEquals("yes", m.get("exit_with_parent"));
        assertTrue(m.get("version").startsWith(m.get("version_major") + "." + m.get("version_minor")), m.toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"memory", "file", "null"})
    void dumpPlugin(String plugin) {
        Map<String, String> m = keyValues(runServer(plugin, "--dump-plugin").ok().out());
        assertEquals(plugin, m.get("name"), m.toString());
        for (String k : List.of("path", "version", "api_version", "thread_model", "max_thread_model")) {
            assertTrue(m.containsKey(k), "--dump-plugin has " + k + ": " + m);
        }
        assertTrue(List.of("serialize_connections", "serialize_all_requests", "serialize_requests", "parallel")
                .contains(m.get("thread_model")), m.toString());
        assertEquals("1", m.get("has_pread"), m.toString());
        if (!plugin.equals("null")) {
            assertEquals(plugin.equals("memory") ? "size" : "file", m.get("magic_config_key"), m.toString());
        }
        // --dump-plugin works without the plugin's required parameters
    }

    // ---- errors on the command line --------------------------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {"--bogus memory 1G", "", "nosuchplugin", "memory", "memory size=bogus",
            "-p 1234 -U SOCK memory 1G", "-s --run true memory 1G", "-t bad memory 1G",
            "--log=foo memory 1G", "file", "file /nonexistent/disk.img"})
    void badCommandLineExits1WithAMessage(String args) {
        List<String> a = args.isEmpty() ? List.of()
                : List.of(args.replace("SOCK", sock().toString()).split(" "));
        Cmd.Result r = Cmd.of(Server.argv(a.toArray(String[]::new))).inheritPath()
                .timeout(Duration.ofMinutes(3)).run();
        r.exit(1);
        assertFalse(r.err().isBlank(), "a message on stderr\n" + r);
    }

    @Test
    void socketActivationRejectsListeningOptions() {
        List<String> a = new java.util.ArrayList<>(List.of("nbdinfo", "--size", "--", "["));
        a.addAll(Server.argv("-U", sock().toString(), "memory", "1G"));
        a.add("]");
        Cmd.Result r = Cmd.of(a).fails();
        assertTrue(r.err().contains("socket activation") || r.err().contains("cannot be used"), r.toString());
    }

    // ---- --run --------------------------------------------------------------------------------

    @Test
    void runExitStatusIsPropagated() {
        runServer("-U", "-", "memory", "1G", "--run", "exit 7").exit(7);
        runServer("-U", "-", "memory", "1G", "--run", "true").exit(0);
        Cmd.Result r = runServer("-U", "-", "memory", "1G", "--run", "kill -9 $$").fails();
        assertEquals(128 + 9, r.exit(), "a command killed by SIGKILL: 128+9 (as nbdkit)\n" + r);
    }

    @Test
    void runServerIsGoneAfterTheCommand() throws IOException {
        Path pid = tmp.resolve("pid");
        runServer("-U", "-", "-P", pid.toString(), "memory", "1G", "--run", "true").ok();
        long p = Long.parseLong(Files.readString(pid).strip());
        Server.sleep(200);
        ProcessHandle.of(p).ifPresent(h -> {
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (h.isAlive() && System.nanoTime() < deadline) Server.sleep(100);
            assertFalse(h.isAlive(), "server " + p + " still running after --run ended");
        });
    }

    // ---- pidfile, detaching, signals -----------------------------------------------------------

    @Test
    void pidfileHoldsTheServerPidOnceReady() throws IOException {
        Path pidf = tmp.resolve("server.pid");
        Server s = Server.start(Server.argv("-f", "-P", pidf.toString(), "-U", sock().toString(), "memory", "1G"),
                sock(), 0);
        long deadline = System.nanoTime() + Server.READY_TIMEOUT.toNanos();
        while (!Files.exists(pidf) || Files.readString(pidf).isBlank()) {
            assertTrue(s.isAlive(), "server exited\n" + s.describe());
            assertTrue(System.nanoTime() < deadline, "no pidfile\n" + s.describe());
            Server.sleep(20);
        }
        // nbdkit writes the pidfile once it accepts connections: no wait needed now.
        assertTrue(s.accepts(), "socket accepts as soon as the pidfile exists");
        assertEquals(s.pid(), Long.parseLong(Files.readString(pidf).strip()), "pidfile = server pid");
        assertTrue(Files.readString(pidf).endsWith("\n"), "pidfile ends with a newline");
        nbdinfoJson(s.uri());
        s.stop();
    }

    @Test
    void withoutForegroundTheServerDetachesOnceReady() throws IOException {
        Path pidf = tmp.resolve("server.pid");
        List<String> argv = Server.argv("-P", pidf.toString(), "-U", sock().toString(), "memory", "1G");
        Cmd.of(argv).inheritPath().ok();
        // The command has returned: the socket must accept now, without polling.
        long pid = Long.parseLong(Files.readString(pidf).strip());
        Server s = Server.adopt(argv, pid, sock(), 0);
        assertTrue(s.accepts(), "socket accepts when the command returns");
        Json j = nbdinfoJson(s.uri());
        assertEquals(GIB, j.get("exports").at(0).get("export-size").asLong());
        TransportsIT.qemuIoRw(s.uri());
        s.stop();
    }

    /** -D flags are accepted; as nbdkit does for a flag that does not exist, we warn. */
    @Test
    void debugFlagIsAcceptedWithAWarning() {
        Cmd.Result r = runServer("-U", "-", "-D", "memory.nosuch=1", "memory", "1M", "--run", "true").ok();
        assertTrue(r.err().contains("-D memory.nosuch"), "a warning names the flag\n" + r);
    }

    /**
     * -s on pipes (not a socket): a read(2) on a pipe cannot be woken by shutdown(2), yet SIGTERM
     * must still end the server, with status 0.
     */
    @Test
    void singleOnPipesEndsOnSigterm() throws Exception {
        ProcessBuilder pb = new ProcessBuilder(Server.argv("-s", "memory", "1M"));
        pb.redirectError(ProcessBuilder.Redirect.DISCARD);
        Process p = pb.start(); // stdin and stdout are pipes
        try {
            byte[] greeting = p.getInputStream().readNBytes(8);
            assertEquals("NBDMAGIC", new String(greeting, java.nio.charset.StandardCharsets.US_ASCII));
            p.destroy(); // SIGTERM while the server waits for the client's flags
            assertTrue(p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS), "-s on pipes ignored SIGTERM");
            assertEquals(0, p.exitValue());
        } finally {
            p.destroyForcibly();
        }
    }

    /**
     * -s on pipes serves data both ways: a write, then a read of it (the memory plugin's reads
     * leave as views of its own memory, written to the pipe without a copy).
     */
    @Test
    void singleOnPipesReadsBackWhatItWrote() throws Exception {
        ProcessBuilder pb = new ProcessBuilder(Server.argv("-s", "memory", "1M"));
        pb.redirectError(ProcessBuilder.Redirect.DISCARD);
        Process p = pb.start();
        try (var in = new java.io.DataInputStream(p.getInputStream());
             var out = new java.io.DataOutputStream(new java.io.BufferedOutputStream(p.getOutputStream()))) {
            in.readFully(new byte[18]); // NBDMAGIC, IHAVEOPT, handshake flags
            out.writeInt(1); // fixed newstyle
            out.writeLong(0x49484156454F5054L); // IHAVEOPT
            out.writeInt(1); // NBD_OPT_EXPORT_NAME
            out.writeInt(0); // the default export
            out.flush();
            assertEquals(1L << 20, in.readLong());
            in.readFully(new byte[2 + 124]);
            byte[] data = new byte[100_000]; // crosses 32 KiB chunks of the memory plugin
            new java.util.Random(7).nextBytes(data);
            request(out, 1, 1, 5000, data.length);
            out.write(data);
            out.flush();
            assertEquals(0, simpleReplyError(in, 1));
            request(out, 0, 2, 5000, data.length);
            out.flush();
            assertEquals(0, simpleReplyError(in, 2));
            byte[] back = new byte[data.length];
            in.readFully(back);
            org.junit.jupiter.api.Assertions.assertArrayEquals(data, back);
            request(out, 2, 3, 0, 0); // NBD_CMD_DISC
            out.flush();
            assertTrue(p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS), "-s did not end after NBD_CMD_DISC");
            assertEquals(0, p.exitValue());
        } finally {
            p.destroyForcibly();
        }
    }

    private static void request(java.io.DataOutputStream out, int type, long cookie, long offset, int length)
            throws java.io.IOException {
        out.writeInt(0x25609513);
        out.writeShort(0);
        out.writeShort(type);
        out.writeLong(cookie);
        out.writeLong(offset);
        out.writeInt(length);
    }

    private static int simpleReplyError(java.io.DataInputStream in, long cookie) throws java.io.IOException {
        assertEquals(0x67446698, in.readInt(), "simple reply magic");
        int error = in.readInt();
        assertEquals(cookie, in.readLong());
        return error;
    }

    /**
     * JNBDKIT_STARTUP_TRACE=1 on a socket-activated start (libnbd's [ CMD ]): the milestones of a
     * cold start to one served client, each with its time since the launcher began, in order.
     */
    @Test
    void startupTraceShowsTheMilestonesInOrder() {
        List<String> argv = new java.util.ArrayList<>(List.of("nbdinfo", "--size", "--", "["));
        argv.addAll(Server.argv("memory", "1M"));
        argv.add("]");
        Cmd.Result r = Cmd.of(argv).env("JNBDKIT_STARTUP_TRACE", "1").run().ok();
        assertTrue(r.out().contains("1048576"), r.toString());
        var m = java.util.regex.Pattern.compile(": startup: ([0-9]+\\.[0-9]) ms ([a-z -]+) \\[").matcher(r.err());
        List<String> seen = new java.util.ArrayList<>();
        double last = 0;
        while (m.find()) {
            double ms = Double.parseDouble(m.group(1));
            assertTrue(ms >= last && ms < 60_000, "times since the launcher began only grow\n" + r.err());
            last = ms;
            seen.add(m.group(2));
        }
        // libnbd's close sends SIGTERM before it closes the socket: whether the server marks
        // "connection closed" before it exits is a race, so that last milestone may be missing.
        List<String> milestones = List.of("main", "plugin found", "plugin ready", "listening", "serving", "accepted",
                "handshake done", "connection closed");
        assertTrue(seen.size() >= 7, r.err());
        assertEquals(milestones.subList(0, Math.min(seen.size(), 8)), seen.subList(0, Math.min(seen.size(), 8)), r.err());
    }

    @Test
    void sigintExitsZero() {
        Server s = unix("memory", "1G");
        nbdinfoJson(s.uri());
        Cmd.of("kill", "-INT", Long.toString(s.pid())).ok();
        assertEquals(0, s.awaitExit(Server.STOP_TIMEOUT), "exit status after SIGINT\n" + s.describe());
    }

    /**
     * SIGTERM while a client is connected: the server exits 0 once the client goes (Debian's
     * nbdkit 1.32 waits for a connected client to disconnect; closing it at once is fine too).
     */
    @Test
    void sigtermWithAClientConnectedExitsZero() throws IOException {
        Server s = unix("memory", "1G");
        try (RawNbd c = RawNbd.connect(s.socket())) {
            c.open(false);
            c.read(0, 512);
            s.handle().destroy(); // SIGTERM
            Server.sleep(1000);
        }
        assertEquals(0, s.awaitExit(Server.STOP_TIMEOUT), "exit status after SIGTERM\n" + s.describe());
    }

    @Test
    void exitWithParent() throws IOException {
        Path pidf = tmp.resolve("pid");
        Path sock = sock();
        // sh starts the server in the background, waits for its socket, then exits.
        String script = Transcript.quoteAll(Server.argv("--exit-with-parent", "-U", sock.toString(), "memory", "1G"))
                + " 2>" + tmp.resolve("server.err") + " & echo $! > " + pidf
                + "; i=0; while ! test -S " + sock + " && test $i -lt 1800; do sleep 0.1; i=$((i+1)); done"
                + "; " + Transcript.quoteAll(List.of("/usr/bin/nbdinfo", "--size", "nbd+unix:///?socket=" + sock));
        Cmd.Result r = Cmd.sh(script).ok();
        assertEquals(Long.toString(GIB), r.out().strip());
        long pid = Long.parseLong(Files.readString(pidf).strip());
        ProcessHandle.of(pid).ifPresent(h -> {
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (h.isAlive() && System.nanoTime() < deadline) Server.sleep(100);
            if (h.isAlive()) {
                h.destroyForcibly();
                throw new AssertionError("server " + pid + " still running 60s after its parent exited");
            }
        });
    }

    /**
     * A server started in the background by a script has SIGINT ignored (the shell's `server &`
     * does that); nbdkit installs its handler anyway, so SIGINT still stops it cleanly. Both
     * servers, the same script: exit status 0 within the time allowed.
     */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.EnumSource(Server.Impl.class)
    void sigintStopsAServerStartedWithSigintIgnored(Server.Impl impl) {
        Path sock = sock();
        List<String> argv = impl == Server.Impl.JNBDKIT ? Server.argv("-f", "-U", sock.toString(), "null")
                : List.of(impl.command(), "-f", "-U", sock.toString(), "null");
        String script = "trap '' INT; " + Transcript.quoteAll(argv) + " & pid=$!"
                + "; i=0; while ! test -S " + sock + " && test $i -lt 1800; do sleep 0.1; i=$((i+1)); done"
                + "; sleep 1; kill -INT $pid"
                + "; i=0; while kill -0 $pid 2>/dev/null && test $i -lt 300; do sleep 0.1; i=$((i+1)); done"
                + "; if kill -0 $pid 2>/dev/null; then kill -KILL $pid; echo still running; else wait $pid; echo exit=$?; fi";
        assertEquals("exit=0", Cmd.sh(script).ok().out().strip(), impl + " after SIGINT");
    }

    // ---- behaviour options -------------------------------------------------------------------

    @Test
    void readOnly() {
        Server s = unix("-r", "memory", "1G");
        Json j = nbdinfoJson(s.uri());
        assertTrue(j.get("exports").at(0).get("is_read_only").asBool());
        // qemu-io refuses to open a read-only export for writing
        DataIntegrityIT.qemuIo(s.uri(), "write -P 1 0 4k").fails();
        Cmd.of("qemu-io", "-r", "-f", "raw", s.uri(), "-c", "read -P 0 0 1M").ok();
        Cmd.of("nbdcopy", s.uri(), tmp.resolve("out.img").toString()).ok();
        Cmd.of("nbdcopy", tmp.resolve("out.img").toString(), s.uri()).fails();
    }

    @Test
    void threadsOne() {
        Server s = unix("-t", "1", "memory", "1G");
        Cmd.of("fio", "--name=t1", "--ioengine=nbd", "--uri=" + s.uri(), "--rw=randwrite", "--bs=16k",
                "--iodepth=16", "--size=32M", "--verify=crc32c", "--verify_state_save=0", "--do_verify=1", "--verify_fatal=1").ok();
        Cmd.of("nbdcopy", "--connections=4", "--requests=64", s.uri(), tmp.resolve("out.img").toString()).ok();
        s.stop();
    }

    @Test
    void logNullSilencesErrors() {
        Server quiet = Server.unix(sock("q"), "--log=null", "memory", "1G");
        ProtocolErrorsIT.py(quiet.uri(), "expect_err('EINVAL', lambda: h.pread(512, size))");
        Server loud = Server.unix(sock("l"), "--log=stderr", "memory", "1G");
        ProtocolErrorsIT.py(loud.uri(), "expect_err('EINVAL', lambda: h.pread(512, size))");
        quiet.stop();
        loud.stop();
        assertEquals("", quiet.stderr(), "--log=null: nothing on stderr");
        assertTrue(loud.stderr().contains("error"), "--log=stderr: the error is logged\n" + loud.describe());
    }

    @Test
    void verboseLogsDebugMessages() {
        Server s = unix("-v", "memory", "1G");
        nbdinfoJson(s.uri());
        s.stop();
        assertTrue(s.stderr().contains("debug"), "-v writes debug messages to stderr\n" + s.describe());
    }

    @Test
    void maskHandshakeZeroGivesPlainNewstyle() {
        Server s = unix("--mask-handshake=0", "memory", "1G");
        Json j = nbdinfoJson(s.uri());
        assertEquals("newstyle", j.get("protocol").asString(), "no fixed newstyle");
        assertFalse(j.get("structured").asBool());
        TransportsIT.qemuIoRw(s.uri());
    }

    @Test
    void noStructuredReplies() {
        Server s = unix("--no-sr", "memory", "1G");
        Json j = nbdinfoJson(s.uri());
        assertEquals("newstyle-fixed", j.get("protocol").asString());
        assertFalse(j.get("structured").asBool(), "--no-sr: no structured replies");
        Cmd.Result map = Cmd.of("nbdinfo", "--map", s.uri()).fails();
        assertTrue(map.err().contains("base:allocation"), map.toString());
        TransportsIT.qemuIoRw(s.uri());
        DataIntegrityIT.qemuIo(s.uri(), "write -z 0 64k", "read -P 0 0 64k", "discard 0 64k", "flush").ok();
    }

    /**
     * Oldstyle (-o). Note: Debian's nbdkit 1.32 advertises FUA and TRIM in oldstyle but then
     * rejects them ("FUA flag not supported"), so qemu-io writes fail there; the contract is
     * that what is advertised works.
     */
    @Test
    void oldstyle() {
        Server s = unix("-o", "memory", "1G");
        Json j = nbdinfoJson(s.uri());
        assertEquals("oldstyle", j.get("protocol").asString());
        assertEquals(GIB, j.get("exports").at(0).get("export-size").asLong());
        ProtocolErrorsIT.py(s.uri(), """
                assert h.get_protocol() == "oldstyle"
                h.pwrite(b"\\x3c" * 4096, 0, flags=nbd.CMD_FLAG_FUA if h.can_fua() else 0)
                assert h.pread(4096, 0) == b"\\x3c" * 4096
                if h.can_trim():
                    h.trim(4096, 0)
                if h.can_zero():
                    h.zero(4096, 0)
                if h.can_flush():
                    h.flush()
                expect_err("EINVAL", lambda: h.pread(512, size))
                """);
        TransportsIT.qemuIoRw(s.uri());
        Cmd.of("nbdcopy", s.uri(), tmp.resolve("out.img").toString()).ok();
    }
}
