package dev.jnbdkit.it;

import dev.jnbdkit.it.Server.Impl;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Plugin scripts in a plugin directory (nbdkit-plugin(3), "WRITING PLUGINS IN OTHER PROGRAMMING
 * LANGUAGES"): {@code jnbdkit NAME} runs an executable {@code nbdkit-NAME-plugin} found in
 * jnbdkit's plugin directory or in nbdkit's, through the language plugin its shebang names.
 *
 * <p>Above all Debian's own: nbdkit-plugin-python installs nbdkit's S3 plugin as
 * {@code /usr/lib/x86_64-linux-gnu/nbdkit/plugins/nbdkit-S3-plugin} (a Python script using boto3).
 * {@code jnbdkit S3 ...} runs that file unchanged against a local S3-compatible fake
 * ({@link S3Fake}), and the same command line under {@code /usr/bin/nbdkit S3 ...} against the
 * same fake must give the same bytes, the same answers to every request and the same objects in
 * the store.
 */
class PluginScriptIT extends ItBase {
    static final Path NBDKIT_S3 = Path.of("/usr/lib/x86_64-linux-gnu/nbdkit/plugins/nbdkit-S3-plugin");
    static final Path PROBE = Server.home().resolve("src/test/resources/pyconf/clients/probe.py");
    /** nbdkit (1.32 and jnbdkit alike) refuse a minimum block size over 64K: object-size is the S3 plugin's minimum. */
    static final int OBJECT = 64 * 1024;
    static final int SIZE = 2 * 1024 * 1024;

    private static void requireS3Script() {
        assertTrue(Files.isExecutable(NBDKIT_S3), NBDKIT_S3 + " is missing (Debian package: nbdkit-plugin-python)");
    }

    /** {@code IMPL -f -U SOCK ARGS...} with the fake's environment and Debian's python3 for jnbdkit. */
    private Server start(Impl impl, String... args) {
        Path sock = tmp.resolve(impl.name().toLowerCase() + "-" + System.nanoTime() + ".sock");
        List<String> a = new ArrayList<>(List.of("-f", "-U", sock.toString()));
        a.addAll(List.of(args));
        Server.Launch l = Server.launch(impl, a).socket(sock).env("JNBDKIT_PYTHON", Clients.PYTHON);
        S3Fake.environment().forEach(l::env);
        S3Fake.PROXY_VARIABLES.forEach(l::unsetEnv);
        return l.ready();
    }

    /** probe.py (libnbd, strict mode off): one line per request, what the client saw. */
    private static String probe(Server s, String... ops) {
        List<String> cmd = new ArrayList<>(List.of(Clients.PYTHON, PROBE.toString(), s.socket().toString(), "-"));
        cmd.addAll(List.of(ops));
        return Cmd.of(cmd).ok().out();
    }

    @Test
    void s3ServesOneObjectReadOnly() throws Exception {
        requireS3Script();
        byte[] disk = new byte[3 * 1024 * 1024 + 4096];
        new Random(3).nextBytes(disk);
        Path original = tmp.resolve("disk.img");
        Files.write(original, disk);
        try (S3Fake s3 = S3Fake.start(tmp)) {
            s3.put("images", "vm/disk.img", disk);
            String[] args = {"S3", "bucket=images", "key=vm/disk.img", "endpoint-url=" + s3.endpoint()};
            PluginDiff.Seen[] seen = new PluginDiff.Seen[2];
            String[] answers = new String[2];
            for (Impl impl : Impl.values()) {
                Server s = start(impl, args);
                seen[impl.ordinal()] = PluginDiff.look(s.uri(), tmp);
                answers[impl.ordinal()] = probe(s, "info", "read:0:4096", "read:1048575:70000",
                        "read:" + (disk.length - 512) + ":512", "write:0:512:1", "read:" + disk.length + ":512");
                s.stop();
            }
            assertEquals(seen[Impl.NBDKIT.ordinal()], seen[Impl.JNBDKIT.ordinal()], "expected = nbdkit, actual = jnbdkit");
            assertEquals(answers[Impl.NBDKIT.ordinal()], answers[Impl.JNBDKIT.ordinal()], "expected = nbdkit, actual = jnbdkit");
            assertEquals(disk.length, seen[Impl.JNBDKIT.ordinal()].size());
            assertEquals(Differential.sha256(original), seen[Impl.JNBDKIT.ordinal()].sha256());
            String a = answers[Impl.JNBDKIT.ordinal()];
            assertTrue(a.contains("is_read_only=1"), a);         // single-object mode cannot write
            assertTrue(a.contains("write:0:512:1 -> ERR EPERM"), a);
            // the credentials came from the environment, as the S3 page says
            assertEquals(List.of(S3Fake.ACCESS_KEY_ID), s3.state().get("access_keys").items().stream().map(Json::asString).toList());
        }
    }

    /**
     * Object mode ({@code size=} and {@code object-size=}): nbdcopy writes a disk in, then
     * unaligned writes (read-modify-write of whole objects), zeroes (written, or objects deleted)
     * and a trim (objects deleted). The disk read back is the model's, and the objects in the store
     * are the same under both servers (each run starts from an empty store).
     */
    @Test
    void s3ObjectsWrittenReadAndDeleted() throws Exception {
        requireS3Script();
        byte[] model = new byte[SIZE];
        new Random(5).nextBytes(model);
        Path in = tmp.resolve("in.img");
        Files.write(in, model);
        String[] ops = {"write:1000:3000:7", "write:" + (OBJECT - 144) + ":1000:8", "zero:" + 2 * OBJECT + ":" + OBJECT + ":nohole",
                "zero:800000:100:nohole", "trim:" + 4 * OBJECT + ":" + 2 * OBJECT, "write:" + (SIZE - 10) + ":10:9",
                "read:0:8192", "read:" + (OBJECT - 200) + ":400", "read:" + 2 * OBJECT + ":4096", "read:" + 4 * OBJECT + ":" + OBJECT,
                "flush", "info"};
        apply(model, 1000, 3000, 7);
        apply(model, OBJECT - 144, 1000, 8);
        apply(model, 2 * OBJECT, OBJECT, 0);
        apply(model, 800000, 100, 0);
        apply(model, 4 * OBJECT, 2 * OBJECT, 0);
        apply(model, SIZE - 10, 10, 9);
        try (S3Fake s3 = S3Fake.start(tmp)) {
            String[] args = {"S3", "bucket=disks", "key=d1", "size=" + SIZE, "object-size=" + OBJECT,
                    "endpoint-url=" + s3.endpoint()};
            String[] answers = new String[2], objects = new String[2];
            for (Impl impl : Impl.values()) {
                s3.reset();
                Server s = start(impl, args);
                Cmd.of("nbdcopy", in.toString(), s.uri()).ok();
                answers[impl.ordinal()] = probe(s, ops);
                Path out = tmp.resolve(impl + ".img");
                Cmd.of("nbdcopy", s.uri(), out.toString()).ok();
                s.stop();
                assertEquals(-1, Arrays.mismatch(model, Files.readAllBytes(out)), impl + ": the disk read back is not the model");
                objects[impl.ordinal()] = s3.state().get("objects").items().stream()
                        .map(j -> j.get("bucket").asString() + "/" + j.get("key").asString() + " " + j.get("size").asLong()
                                + " " + j.get("sha256").asString())
                        .collect(java.util.stream.Collectors.joining("\n"));
            }
            assertEquals(answers[Impl.NBDKIT.ordinal()], answers[Impl.JNBDKIT.ordinal()], "expected = nbdkit, actual = jnbdkit");
            assertEquals(objects[Impl.NBDKIT.ordinal()], objects[Impl.JNBDKIT.ordinal()], "objects in the store differ");
            String o = objects[Impl.JNBDKIT.ordinal()];
            // 32 objects written; block 2 (zeroed whole) and blocks 4, 5 (trimmed) deleted
            assertEquals(29, o.lines().count(), o);
            assertFalse(o.contains("d1/0000000000000002"), o);
            assertFalse(o.contains("d1/0000000000000004"), o);
            assertTrue(o.contains("d1/0000000000000003"), o);
        }
    }

    private static void apply(byte[] model, int off, int len, int value) {
        Arrays.fill(model, off, off + len, (byte) value);
    }

    /** --help and --dump-plugin are the python plugin's with the script, as nbdkit's re-executed command shows them. */
    @Test
    void s3HelpAndDumpPluginAreThePythonPlugins() {
        requireS3Script();
        for (Impl impl : Impl.values()) {
            String help = Server.command(impl, "S3", "--help").env("JNBDKIT_PYTHON", Clients.PYTHON).ok().out();
            assertTrue(help.contains("plugin: python"), impl + ":\n" + help);
            assertTrue(help.contains("script=<FILENAME>"), impl + ":\n" + help);
            String dump = Server.command(impl, "S3", "--dump-plugin").env("JNBDKIT_PYTHON", Clients.PYTHON).ok().out();
            assertTrue(dump.lines().anyMatch("name=python"::equals), impl + ":\n" + dump);
            assertTrue(dump.lines().anyMatch(l -> l.startsWith("python_version=3.")), impl + ":\n" + dump);
            // without bucket= the script's config_complete refuses, with its traceback
            Cmd.Result r = Server.command(impl, "-f", "-U", "-", "S3", "key=k", "--run", "true")
                    .env("JNBDKIT_PYTHON", Clients.PYTHON).exit(1);
            assertTrue(r.err().contains(NBDKIT_S3 + ": config_complete: error: Traceback"), impl + ":\n" + r.err());
            assertTrue(r.err().contains("RuntimeError: bucket parameter missing"), impl + ":\n" + r.err());
        }
    }

    @Test
    void dumpConfigNamesBothPluginDirectories() {
        Map<String, String> c = keyValues(runServer("--dump-config").ok().out());
        assertEquals(Server.home().resolve("lib/plugins").toString(), c.get("plugindir"));
        assertEquals(Path.of("/usr/lib/x86_64-linux-gnu/nbdkit/plugins").toString(), c.get("nbdkit_plugindir"));
    }

    private static Map<String, String> keyValues(String text) {
        Map<String, String> m = new java.util.LinkedHashMap<>();
        for (String l : text.split("\n")) {
            int eq = l.indexOf('=');
            if (eq > 0) m.put(l.substring(0, eq), l.substring(eq + 1));
        }
        return m;
    }

    /** A script in jnbdkit's own plugin directory (the clone's lib/plugins), removed afterwards. */
    private static Path install(String name, String text, String perms) throws Exception {
        Path dir = Files.createDirectories(Server.home().resolve("lib/plugins"));
        Path p = dir.resolve("nbdkit-" + name + "-plugin");
        Files.writeString(p, text);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(perms));
        return p;
    }

    @Test
    void scriptsInJnbdkitsPluginDirectory() throws Exception {
        String tag = Long.toString(ProcessHandle.current().pid()) + System.nanoTime() % 100000;
        String py = "itpy" + tag, sh = "itsh" + tag, perl = "itperl" + tag, plain = "itplain" + tag, nul = "null";
        List<Path> made = new ArrayList<>();
        try {
            made.add(install(py, """
                    #!/usr/sbin/nbdkit python
                    API_VERSION = 2
                    size = 0
                    def config(k, v):
                        global size
                        size = int(v)
                    def open(readonly): return 1
                    def get_size(h): return size
                    def pread(h, buf, offset, flags): buf[:] = b'P' * len(buf)
                    """, "rwxr-xr-x"));
            made.add(install(sh, """
                    #!/usr/bin/nbdkit sh
                    case "$1" in
                        get_size) echo 65536 ;;
                        pread) head -c "$3" /dev/zero | tr '\\0' S ;;
                        *) exit 2 ;;
                    esac
                    """, "rwxr-xr-x"));
            made.add(install(perl, "#!/usr/sbin/nbdkit perl\nsub open { 1 }\n", "rwxr-xr-x"));
            made.add(install(plain, "#!/usr/sbin/nbdkit python\n", "rw-r--r--"));
            made.add(install(nul, "#!/usr/sbin/nbdkit python\nraise SystemExit(9)\n", "rwxr-xr-x"));

            String read = "/usr/bin/python3 -c \"import nbd, os; h = nbd.NBD(); h.connect_uri(os.environ['uri']); "
                    + "print(h.get_size(), bytes(h.pread(4, 0)))\"";
            String out = Server.captive(read, py, "size=12345").env("JNBDKIT_PYTHON", Clients.PYTHON).ok().out();
            assertTrue(out.contains("12345 b'PPPP'"), out);
            // a built-in name is never looked up as a script
            out = Server.captive(read, nul, "size=4096").ok().out();
            assertTrue(out.contains("4096 b'\\x00\\x00\\x00\\x00'"), out);

            // a sh-plugin script would be executed through its shebang, nbdkit again (nbdkit hangs recursing)
            Cmd.Result r = Server.captive("true", sh).exit(1);
            assertTrue(r.out().contains("is written for nbdkit's sh plugin, which executes its script through the shebang line"),
                    r.out());
            r = Server.captive("true", perl).exit(1);
            assertTrue(r.out().contains("cannot open plugin '" + perl + "': " + made.get(2)
                    + " is written for nbdkit's perl plugin, which jnbdkit does not have"), r.out());
            // not executable: not a plugin script (nbdkit passes over it too)
            r = Server.captive("true", plain).exit(1);
            assertTrue(r.out().contains("cannot open plugin '" + plain + "': no such built-in plugin, plugin jar or plugin script"),
                    r.out());
        } finally {
            for (Path p : made) Files.deleteIfExists(p);
        }
    }
}
