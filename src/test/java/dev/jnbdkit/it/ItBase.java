package dev.jnbdkit.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Base of the interop tests: a temp dir, a server extension, a per-test timeout. */
@Timeout(value = 10, unit = java.util.concurrent.TimeUnit.MINUTES)
abstract class ItBase {
    @RegisterExtension final ServerExtension servers = new ServerExtension();

    @TempDir Path tmp;

    /** A private socket path in this test's temp dir. */
    Path sock() { return sock("sock"); }

    Path sock(String name) { return tmp.resolve(name); }

    /** {@code jnbdkit -f -U tmp/sock ARGS...}, ready. */
    Server unix(String... args) { return Server.unix(sock(), args); }

    /** {@code jnbdkit -f -i 127.0.0.1 -p PORT ARGS...}, ready. */
    Server tcp(String... args) { return Server.tcp(args); }

    /** Runs the server itself to completion (for --help, -V, --run, -s, bad options...). */
    static Cmd.Result runServer(String... args) {
        return Server.command(args).run();
    }

    static Cmd.Result runServer(List<String> args) {
        return Server.command(args).run();
    }

    // ---- clients ---------------------------------------------------------------------------

    static Json nbdinfoJson(String... args) {
        String[] a = new String[args.length + 2];
        a[0] = "nbdinfo";
        a[1] = "--json";
        System.arraycopy(args, 0, a, 2, args.length);
        Cmd.Result r = Cmd.of(a).ok();
        try {
            return Json.parse(r.out());
        } catch (IllegalArgumentException e) {
            throw new AssertionError("nbdinfo --json printed invalid JSON: " + e.getMessage() + "\n" + r);
        }
    }

    /** Runs a Python script with Debian's python3 and libnbd's {@code nbd} module. */
    static Cmd.Result python(String script, String... args) {
        Clients.requirePythonNbd();
        String[] a = new String[args.length + 2];
        a[0] = Clients.PYTHON;
        a[1] = "-";
        System.arraycopy(args, 0, a, 2, args.length);
        return Cmd.of(a).stdin(script).run();
    }

    /** A Python script from src/test/resources/it/. */
    static String resource(String name) {
        try (var in = ItBase.class.getResourceAsStream("/it/" + name)) {
            if (in == null) throw new AssertionError("missing test resource it/" + name);
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    Path file(String name, long size) {
        Path p = tmp.resolve(name);
        try (var f = new java.io.RandomAccessFile(p.toFile(), "rw")) {
            f.setLength(size);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        return p;
    }

    /** A file of {@code size} pseudo-random bytes (fixed seed). */
    Path randomFile(String name, long size, long seed) {
        Path p = tmp.resolve(name);
        java.util.Random rnd = new java.util.Random(seed);
        byte[] buf = new byte[1 << 20];
        try (var out = Files.newOutputStream(p)) {
            for (long left = size; left > 0; ) {
                rnd.nextBytes(buf);
                int n = (int) Math.min(buf.length, left);
                out.write(buf, 0, n);
                left -= n;
            }
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        return p;
    }

    static void assertFilesEqual(Path a, Path b) {
        Cmd.of("cmp", a.toString(), b.toString()).ok();
    }
}
