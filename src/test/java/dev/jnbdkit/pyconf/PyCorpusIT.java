package dev.jnbdkit.pyconf;

import dev.jnbdkit.it.Cmd;
import dev.jnbdkit.it.S3Fake;
import dev.jnbdkit.it.Server;
import dev.jnbdkit.it.Server.Impl;
import dev.jnbdkit.pyconf.Servers.Spec;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The differential corpus (src/test/resources/pyconf/corpus/): plugins in the shapes real ones
 * have — classes as handles, a pool of HTTP connections made in after_fork, an SQLite block
 * store, a background thread with locks, an API_VERSION 1 file plugin, a plugin that prints and
 * logs, a numpy array as the disk — each run under nbdkit 1.32 and jnbdkit with the same command
 * line and compared: what the clients saw (bytes, errors, extents), what the plugin traced and,
 * for the logging plugin, its log lines. And one plugin that calls every function of nbdkit
 * 1.44's module: the functions nbdkit 1.32 has are compared, the others (1.32 lacks them) are
 * checked on jnbdkit against the 1.44 pages.
 *
 * <p>Every plugin runs on Debian's python3 under both servers (sqlite3, numpy from Debian).
 */
class PyCorpusIT extends PyConfBase {
    static Spec corpus(String name, String... args) {
        return new Spec(Servers.RES.resolve("corpus").resolve(name).toString(), args)
                .env("JNBDKIT_PYTHON", Servers.CLIENT_PYTHON);
    }

    static String run(Server s, String... cmd) {
        Servers.Run r = Servers.run(s, List.of(cmd));
        assertEquals(0, r.status(), String.join(" ", cmd) + ":\n" + r.out() + "\nserver log:\n" + s.log());
        return r.out();
    }

    static String sha256(Path p) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p)));
    }

    /** nbdcopy of the whole export into the server's directory; the SHA-256 of the bytes. */
    static String copyOut(Server s) throws Exception {
        Path out = s.dir().resolve("out-" + System.nanoTime() + ".img");
        run(s, "nbdcopy", s.uri(), out.toString());
        String sha = sha256(out);
        Files.delete(out);
        return sha;
    }

    private Path randomFile(String name, int size, long seed) throws Exception {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        Path p = tmp.resolve(name);
        Files.write(p, b);
        return p;
    }

    @Test
    void classesAsHandles() throws Exception {
        Obs j = sameWithTrace(corpus("classes.py", "disk=boot:1M", "disk=data:2M"), s ->
                run(s, "nbdinfo", "--list", "--json", s.uri())
                        + Servers.probe(s, "data", "info", "write:4096:8192:5", "zero:0:4096", "read:4096:512",
                        "write:0:512:6", "read:0:1024")
                        + Servers.probe(s, "-", "info", "read:0:512", "write:1048064:512:7", "read:1048064:512")
                        + Servers.probe(s, "nosuch", "info"));
        assertContains(j.client(), "\"description\": \"data (2097152 bytes)\"");
        assertLine(j.trace(), "close <Connection data reads=2 writes=2 zeroes=1>");
        assertLine(j.trace(), "close <Connection boot reads=2 writes=1 zeroes=0>");
        assertContains(j.client(), "connect -> ERR");          // no such disk: open fails
    }

    @Test
    void aPoolOfHttpConnectionsMadeInAfterFork() throws Exception {
        byte[] disk = new byte[2 * 1024 * 1024 + 512];
        new Random(11).nextBytes(disk);
        Path original = tmp.resolve("remote.img");
        Files.write(original, disk);
        try (S3Fake http = S3Fake.start(tmp)) {
            http.put("b", "remote.img", disk);
            Obs j = sameWithTrace(corpus("httppool.py", "url=" + http.endpoint() + "/b/remote.img", "pool=3"), s ->
                    copyOut(s) + "\n" + Servers.probe(s, "-", "info", "read:0:4096", "read:2096000:1152",
                            "write:0:512:1", "read:2097152:1024"));
            assertTrue(j.client().startsWith(sha256(original) + "\n"), j.client());
            assertLine(j.trace(), "after_fork pool 3 size " + disk.length);
            assertLine(j.trace(), "cleanup pool 3 requests made True");
            assertContains(j.client(), "write:0:512:1 -> ERR EPERM");
        }
    }

    @Test
    void anSqliteBlockStore() throws Exception {
        int size = 4 * 1024 * 1024;
        Path in = randomFile("sqlite-in.img", size, 13);
        byte[] model = Files.readAllBytes(in);
        Arrays.fill(model, 100, 100 + 5000, (byte) 3);
        Arrays.fill(model, 65536, 65536 + 131072, (byte) 0);
        Arrays.fill(model, 1048576, 1048576 + 1048576, (byte) 0);
        Obs j = sameWithTrace(corpus("sqlite.py", "db=disk.db", "size=4M"), s -> {
            run(s, "nbdcopy", in.toString(), s.uri());
            String probe = Servers.probe(s, "-", "write:100:5000:3:fua", "zero:65536:131072", "trim:1048576:1048576",
                    "flush", "read:0:8192", "read:65000:1000", "extents:0:4194304", "extents:1048576:8192:reqone");
            return probe + run(s, "nbdinfo", "--map", s.uri()) + copyOut(s);
        });
        Path expected = tmp.resolve("sqlite-model.img");
        Files.write(expected, model);
        assertTrue(j.client().endsWith(sha256(expected)), j.client());
        // 1024 blocks written, 32 + 256 zeroed (rows deleted)
        assertLine(j.trace(), "cleanup rows 736 bytes " + 736 * 4096);
        assertContains(j.client(), "extents:1048576:8192:reqone -> 4096:3");
    }

    @Test
    void aBackgroundThreadAndLocks() throws Exception {
        Path in = randomFile("threads-in.img", 8 * 1024 * 1024, 17);
        Obs j = sameWithTrace(corpus("threads.py", "size=8M"), s -> {
            run(s, "nbdcopy", "--connections=4", "--requests=16", in.toString(), s.uri());
            return Servers.probe(s, "-", "flush", "read:0:4096") + copyOut(s);
        });
        assertTrue(j.client().endsWith(sha256(in)), j.client());
        assertLine(j.trace(), "after_fork worker alive True");
        assertLine(j.trace(), "cleanup blocks checksummed 2048 stale 0 worker alive False");
    }

    @Test
    void anApiVersion1FilePlugin() throws Exception {
        byte[] data = new byte[1024 * 1024];
        new Random(19).nextBytes(data);
        Obs j = sameWithTrace(corpus("api1file.py", "file=disk.img"), s -> {
            Files.write(s.dir().resolve("disk.img"), data);
            String out = Servers.probe(s, "-", "info", "write:0:512:3:fua", "zero:4096:4096", "zero:12288:4096:nohole",
                    "trim:8192:4096", "flush", "cache:0:4096", "read:0:1024", "read:4096:8192", "extents:0:65536");
            String qemu = run(s, "qemu-io", "-f", "raw", "-c", "write -P 0x5a 65536 65536", "-c", "read -P 0x5a 65536 65536",
                    s.uri()).lines().filter(l -> !l.contains(" sec ")).collect(Collectors.joining("\n"));
            return out + qemu + "\n" + copyOut(s);
        });
        byte[] model = data.clone();
        Arrays.fill(model, 0, 512, (byte) 3);
        Arrays.fill(model, 4096, 4096 * 4, (byte) 0);
        System.arraycopy(data, 8192, model, 8192, 4096);   // trim does nothing in this plugin
        Arrays.fill(model, 65536, 131072, (byte) 0x5a);
        Path expected = tmp.resolve("api1-model.img");
        Files.write(expected, model);
        assertTrue(j.client().endsWith(sha256(expected)), j.client());
    }

    /** The plugin's own lines from a log, without the server's prefix (program, plugin, level). */
    static List<String> pluginLines(String log) {
        // (lines naming the script's path, corpus/logs.py, are the servers' own)
        return log.lines().filter(l -> l.contains("corpus") && !l.contains("corpus/"))
                .map(l -> l.replaceFirst("^j?nbdkit: ([\\w.\\[\\]-]+: )?(debug|error|warning): ", "").strip())
                .sorted().toList();
    }

    @Test
    void printingAndLogging() throws Exception {
        Spec spec = corpus("logs.py", "alpha=1").opts("-v");
        Map<Impl, Obs> m = both(spec, s -> Servers.probe(s, "-", "read:0:512", "read:4096:512", "write:0:512:1", "read:0:512"));
        Obs n = m.get(Impl.NBDKIT), j = m.get(Impl.JNBDKIT);
        assertEquals(n.client(), j.client(), "expected = nbdkit, actual = jnbdkit");
        assertContains(j.client(), "read:4096:512 -> ERR EPERM");
        assertEquals(pluginLines(n.log()), pluginLines(j.log()), "the plugin's log lines (expected = nbdkit, actual = jnbdkit)"
                + "\nnbdkit log:\n" + n.log() + "\njnbdkit log:\n" + j.log());
        List<String> lines = pluginLines(j.log());
        assertTrue(lines.contains("corpus: loading"), j.log());
        assertTrue(lines.contains("corpus: config alpha=1"), j.log());
        assertTrue(lines.contains("INFO corpus: open readonly=False export=''"), j.log());
        assertTrue(lines.contains("WARNING corpus: config complete"), j.log());
        assertTrue(lines.contains("corpus: debug in pread 4096"), j.log());
        assertTrue(lines.contains("PermissionError: corpus: no reading at 4096"), j.log());
        assertFalse(j.log().contains("printed in pwrite"), j.log());      // stdout is /dev/null by then
    }

    @Test
    void aNumpyArrayAsTheDisk() throws Exception {
        Cmd.Result numpy = Cmd.of(Servers.CLIENT_PYTHON, "-c", "import numpy").run();
        assertEquals(0, numpy.exit(), "python3 module 'numpy' is missing (Debian package: python3-numpy); "
                + "bin/test installs it when run as root\n" + numpy);
        Obs j = sameWithTrace(corpus("numpydisk.py", "size=4M"), s -> {
            String qemu = run(s, "qemu-io", "-f", "raw", "-c", "write -P 0x11 0 1M", "-c", "write -P 0x22 2M 64k",
                    "-c", "write -z 512k 128k", "-c", "discard 2M 64k", "-c", "write -P 0x33 3145729 100", s.uri())
                    .lines().filter(l -> !l.contains(" sec ")).collect(Collectors.joining("\n"));
            return qemu + "\n" + run(s, "nbdinfo", "--map", s.uri())
                    + Servers.probe(s, "-", "read:0:4096", "read:524288:4096", "read:3145728:512", "extents:0:4194304")
                    + copyOut(s);
        });
        byte[] model = new byte[4 * 1024 * 1024];
        Arrays.fill(model, 0, 1 << 20, (byte) 0x11);
        Arrays.fill(model, 512 * 1024, 640 * 1024, (byte) 0);
        Arrays.fill(model, 3145729, 3145729 + 100, (byte) 0x33);
        Path expected = tmp.resolve("numpy-model.img");
        Files.write(expected, model);
        assertTrue(j.client().endsWith(sha256(expected)), j.client());
    }

    // -- every function of nbdkit 1.44's module ----------------------------------------------------

    static final List<String> SHARED = List.of("debug", "export_name", "parse_size", "set_error", "shutdown");

    static Spec everything(String... extra) {
        List<String> args = new ArrayList<>(List.of("size=1M", "size=bad", "delay=10ms", "delay=1.5", "delay=1.2us",
                "delay=3ns", "delay=soon", "probability=10%", "probability=1:10", "probability=1/10",
                "probability=1e-1", "probability=200%", "probability=x", "password=secret"));
        args.addAll(List.of(extra));
        return corpus("everything.py", args.toArray(String[]::new));
    }

    /** The functions nbdkit 1.32 has: the same results, exceptions and errors under both servers. */
    @Test
    void everyFunctionBothServersHaveBehavesTheSame() throws Exception {
        Obs j = sameWithTrace(everything(), l -> SHARED.stream().anyMatch(f -> l.startsWith(f + " ")),
                s -> Servers.probe(s, "-", "read:0:512", "read:4096:512", "read:512:512"));
        assertLine(j.trace(), "parse_size '1M' -> int 1048576");
        assertContains(j.trace(), "parse_size 'bad' -> ValueError: ");
        assertLine(j.trace(), "export_name -> str ''");
        assertLine(j.trace(), "set_error 1 -> NoneType None");
        assertLine(j.trace(), "debug 'everything: pread 4096' -> NoneType None");
        assertContains(j.client(), "read:4096:512 -> ERR EPERM");
    }

    /** The functions nbdkit 1.32 lacks, on jnbdkit, against nbdkit 1.44's pages. */
    @Test
    void everyFunctionOfTheNewerModuleOnJnbdkit() throws Exception {
        Obs j = observe(Impl.JNBDKIT, everything(), s -> {
            String out = Servers.probe(s, "-", "read:8192:512", "read:12288:512", "read:0:512");
            out += Servers.probe(s, "-", "read:16384:512", "read:0:512");
            out += Servers.probe(s, "-", "read:20480:512");
            assertEquals(0, Servers.waitExit(s, 60), "shutdown() ends the server with status 0");
            return out;
        });
        String t = j.trace();
        assertLine(t, "module has debug disconnect export_name is_tls nanosleep parse_delay parse_probability parse_size"
                + " peer_gid peer_pid peer_security_context peer_tls_dn peer_tls_issuer_dn peer_uid read_password"
                + " set_error shutdown stdio_safe");
        // nbdkit_parse_delay(3): seconds, ms, us/μs, ns; (sec, nsec)
        assertLine(t, "parse_delay 'delay' '10ms' -> tuple (0, 10000000)");
        assertLine(t, "parse_delay 'delay' '1.5' -> tuple (1, 500000000)");
        assertLine(t, "parse_delay 'delay' '1.2us' -> tuple (0, 1200)");
        assertLine(t, "parse_delay 'delay' '3ns' -> tuple (0, 3)");
        // a string that does not parse: ValueError, as parse_size's (nbdkit's bindings raise it for all three)
        assertLine(t, "parse_delay 'delay' 'soon' -> ValueError: Unable to parse string as delay");
        // nbdkit_parse_probability(3): "0.1", "1e-1", "10%", "1:10", "1/10" all mean 1 in 10; 200% is 2.0
        for (String p : List.of("10%", "1:10", "1/10", "1e-1"))
            assertLine(t, "parse_probability 'probability' '" + p + "' -> float 0.1");
        assertLine(t, "parse_probability 'probability' '200%' -> float 2.0");
        assertLine(t, "parse_probability 'probability' 'x' -> ValueError: Unable to parse string as probability");
        assertLine(t, "read_password 'secret' -> bytes b'secret'");
        assertLine(t, "stdio_safe -> bool True");
        assertLine(t, "is_tls -> bool False");
        assertLine(t, "peer_pid -> int ");
        assertLine(t, "peer_uid -> int ");
        assertLine(t, "peer_gid -> int ");
        assertLine(t, "peer_tls_dn -> str ");
        assertContains(t, "peer_security_context -> RuntimeError: nbdkit.peer_security_context failed");
        assertLine(t, "nanosleep 0 300000000 -> NoneType None");
        assertLine(t, "nanosleep slept at least 0.3 s True");
        // nbdkit_disconnect(3): false lets the current command finish, then ESHUTDOWN; true drops at once
        assertLine(t, "disconnect False -> NoneType None");
        assertContains(j.client(), "read:12288:512 -> md5=");
        assertContains(j.client(), "read:0:512 -> ERR ESHUTDOWN");
        assertLine(t, "disconnect True -> NoneType None");
        assertContains(j.client(), "connection lost");
        assertLine(t, "shutdown -> NoneType None");
        assertLine(t, "cleanup");
        assertFalse(t.contains("missing"), t);
    }
}
