package dev.jnbdkit.it;

import dev.jnbdkit.it.Server.Impl;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The differential harness: the same command line under the server under test and under
 * Debian's nbdkit ({@link Impl}), compared. Here once: running a command line under both
 * ({@link #both}), a refused command line's comparison ({@link #assertSameRefusal}: exit status 1
 * from both, every line of the message equal once the program name is taken off), the SHA-256
 * the tests compare disks with, and the captive runs ({@code -U - ... --run}) the filter tests
 * compare clients' output with. {@link PluginDiff} (what a client sees of a plugin's disk) and
 * {@link FilterItBase} (filter scenarios, logs) build on it.
 */
final class Differential {
    private Differential() { }

    /** Both servers' commands, the one under test first (for tests that start servers themselves). */
    static List<String> servers() {
        return List.of(Impl.JNBDKIT.command(), Impl.NBDKIT.command());
    }

    /** {@code server -f -U socket args...}, ready. */
    static Server unix(String server, Path socket, String... args) {
        List<String> argv = new ArrayList<>(List.of(server, "-f", "-U", socket.toString()));
        argv.addAll(List.of(args));
        return Server.launch(argv).socket(socket).ready();
    }

    // ---- a command line run to completion under both servers ----------------------------

    /** {@code IMPL ARGS...} run to completion under each server, with the extra environment {@code env}. */
    static Map<Impl, Cmd.Result> both(Map<String, String> env, List<String> args) {
        Map<Impl, Cmd.Result> out = new EnumMap<>(Impl.class);
        for (Impl impl : Impl.values()) {
            Cmd c = Server.command(impl, args);
            env.forEach(c::env);
            out.put(impl, c.run());
        }
        return out;
    }

    /**
     * A command line that must be refused at start-up ({@code -f -U - ARGS... --run true}, so one
     * accepted by mistake ends at once): both servers exit with status 1 and print the same
     * message, every line of it, once {@link #message} has taken the program name off. Returns
     * that message.
     */
    static String assertSameRefusal(Map<String, String> env, List<String> args) {
        return assertSameRefusal(env, UnaryOperator.identity(), args);
    }

    /**
     * {@link #assertSameRefusal(Map, List)} with {@code mask} applied to both messages first, for
     * parts that carry no meaning and must differ (a random temporary directory's name).
     */
    static String assertSameRefusal(Map<String, String> env, UnaryOperator<String> mask, List<String> args) {
        List<String> argv = new ArrayList<>(List.of("-f", "-U", "-"));
        argv.addAll(args);
        argv.add("--run");
        argv.add("true");
        Map<Impl, Cmd.Result> r = both(env, argv);
        String ours = mask.apply(message(r.get(Impl.JNBDKIT).exit(1).err()));
        String theirs = mask.apply(message(r.get(Impl.NBDKIT).exit(1).err()));
        assertEquals(theirs, ours, "jnbdkit and nbdkit refuse " + String.join(" ", args) + " differently");
        return ours;
    }

    static String assertSameRefusal(List<String> args) { return assertSameRefusal(Map.of(), args); }

    static String assertSameRefusal(String... args) { return assertSameRefusal(Map.of(), List.of(args)); }

    /**
     * A server's message as the two servers are compared: the program name ({@code jnbdkit: } or
     * {@code nbdkit: }) off the start of each line, blank lines and bin/jnbdkit's own build
     * lines left out.
     */
    static String message(String stderr) {
        StringBuilder out = new StringBuilder();
        for (String line : stderr.split("\n")) {
            if (line.isBlank() || line.contains("building jnbdkit") || line.contains("build done")) continue;
            out.append(line.replaceFirst("^j?nbdkit: ", "")).append('\n');
        }
        return out.toString();
    }

    /**
     * What a running server logged, as {@link #message} has it and with the connection's tag
     * ({@code curl[1]: }) taken off too: for a connection's error lines, whose numbering is the
     * servers' own.
     */
    static String untagged(String stderr) {
        return message(stderr).replaceAll("(?m)^[a-z-]+(\\[\\d+\\]|\\.\\d+): ", "");
    }

    // ---- digests ------------------------------------------------------------------------

    /** SHA-256 of a file, in hex. */
    static String sha256(Path p) {
        try (var in = Files.newInputStream(p)) {
            MessageDigest md = sha256();
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
            return HexFormat.of().formatHex(md.digest());
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** SHA-256 of some bytes, in hex. */
    static String sha256(byte[] b) {
        return HexFormat.of().formatHex(sha256().digest(b));
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    // ---- captive runs: {@code -U - ... --run SCRIPT} -------------------------------------

    /** {@code PROGRAM -U - ARGS... --run SCRIPT} with the given extra environment; must exit 0. */
    static Cmd.Result captive(String program, Map<String, String> env, List<String> args, String script) {
        Clients.require(program);
        List<String> argv = new ArrayList<>();
        argv.add(program);
        argv.add("-U");
        argv.add("-");
        argv.addAll(args);
        argv.add("--run");
        argv.add(script);
        Cmd c = Cmd.of(argv);
        env.forEach(c::env);
        return c.ok();
    }

    /** Writes src/test/resources/it/filter-ops.py to {@code dir} and returns its path. */
    static Path opsScript(Path dir) {
        Path p = dir.resolve("filter-ops.py");
        if (!Files.exists(p)) {
            try {
                Files.writeString(p, ItBase.resource("filter-ops.py"));
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        }
        return p;
    }

    /** Runs filter-ops.py with {@code ops} against {@code program ARGS...}; its output. */
    static String ops(Path dir, String program, Map<String, String> env, List<String> args, String... ops) {
        Clients.requirePythonNbd();
        StringBuilder script = new StringBuilder(Clients.PYTHON + " " + opsScript(dir) + " \"$uri\"");
        for (String op : ops) script.append(" '").append(op).append('\'');
        return captive(program, env, args, script.toString()).out();
    }

    /** The same operations under both servers: the outputs must be equal. Returns ours. */
    static String sameOps(Path dir, Map<String, String> env, List<String> args, String... ops) {
        String ours = ops(dir, Server.program(), env, args, ops);
        String theirs = ops(dir, Server.NBDKIT, env, args, ops);
        assertEquals(theirs, ours, "the same operations under nbdkit and " + Server.program()
                + " " + String.join(" ", args));
        return ours;
    }

    /** {@code nbdinfo --map} of the export under both servers, after {@code before} ran (a shell line or ""). */
    static String sameMap(Map<String, String> env, List<String> args, String before) {
        String script = (before.isEmpty() ? "" : before + " && ") + "nbdinfo --map \"$uri\"";
        String ours = captive(Server.program(), env, args, script).out();
        String theirs = captive(Server.NBDKIT, env, args, script).out();
        assertEquals(theirs, ours, "nbdinfo --map under nbdkit and " + Server.program() + " " + String.join(" ", args));
        return ours;
    }

    /** {@code nbdinfo --json} of the export under both servers: the given keys must be equal. */
    static void sameInfo(List<String> args, String... keys) {
        String script = "nbdinfo --json \"$uri\"";
        Json ours = Json.parse(captive(Server.program(), Map.of(), args, script).out()).get("exports").at(0);
        Json theirs = Json.parse(captive(Server.NBDKIT, Map.of(), args, script).out()).get("exports").at(0);
        for (String k : keys) {
            assertEquals(field(theirs, k), field(ours, k), k + " under nbdkit and " + Server.program() + " " + String.join(" ", args));
        }
    }

    private static String field(Json export, String key) {
        return export.has(key) ? String.valueOf(export.get(key).value) : "(absent)";
    }
}
