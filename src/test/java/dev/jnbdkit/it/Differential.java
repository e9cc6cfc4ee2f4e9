package dev.jnbdkit.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The same command line under the server under test and under Debian's nbdkit (the filter ITs'
 * differential parts): each run is captive ({@code -U - ... --run}), so both servers live exactly
 * as long as the client, and what the client printed is compared. Tests that need a server to
 * outlive one client (the retry, exit and multi-conn filters) start each with {@link #unix}.
 */
final class Differential {
    /** Debian's nbdkit, the reference. */
    static final String NBDKIT = "/usr/bin/nbdkit";

    private Differential() { }

    /** Both servers, the one under test first (for tests that start servers themselves). */
    static List<String> servers() {
        Clients.require(NBDKIT);
        return List.of(Server.program(), NBDKIT);
    }

    /** {@code server -f -U socket args...}, ready. */
    static Server unix(String server, Path socket, String... args) {
        List<String> argv = new ArrayList<>(List.of(server, "-f", "-U", socket.toString()));
        argv.addAll(List.of(args));
        return Server.startAndWait(argv, socket, 0);
    }

    /** {@code server args...} run to completion (start-up errors, --run, --help). */
    static Cmd.Result run(String server, String... args) {
        List<String> argv = new ArrayList<>(List.of(server));
        argv.addAll(List.of(args));
        return Cmd.of(argv).run();
    }

    /** A message with the program name ("jnbdkit: " or "nbdkit: ") taken off each line. */
    static String unprefixed(String stderr) {
        return stderr.replaceAll("(?m)^j?nbdkit: ", "").strip();
    }

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
        String theirs = ops(dir, NBDKIT, env, args, ops);
        assertEquals(theirs, ours, "the same operations under nbdkit and " + Server.program()
                + " " + String.join(" ", args));
        return ours;
    }

    /** {@code nbdinfo --map} of the export under both servers, after {@code before} ran (a shell line or ""). */
    static String sameMap(Map<String, String> env, List<String> args, String before) {
        String script = (before.isEmpty() ? "" : before + " && ") + "nbdinfo --map \"$uri\"";
        String ours = captive(Server.program(), env, args, script).out();
        String theirs = captive(NBDKIT, env, args, script).out();
        assertEquals(theirs, ours, "nbdinfo --map under nbdkit and " + Server.program() + " " + String.join(" ", args));
        return ours;
    }

    /** {@code nbdinfo --json} of the export under both servers: the given keys must be equal. */
    static void sameInfo(List<String> args, String... keys) {
        String script = "nbdinfo --json \"$uri\"";
        Json ours = Json.parse(captive(Server.program(), Map.of(), args, script).out()).get("exports").at(0);
        Json theirs = Json.parse(captive(NBDKIT, Map.of(), args, script).out()).get("exports").at(0);
        for (String k : keys) {
            assertEquals(field(theirs, k), field(ours, k), k + " under nbdkit and " + Server.program() + " " + String.join(" ", args));
        }
    }

    private static String field(Json export, String key) {
        return export.has(key) ? String.valueOf(export.get(key).value) : "(absent)";
    }

    /** The server's error for a bad command line, without the program name: exit 1 under both. */
    static String sameStartError(Map<String, String> env, List<String> args) {
        String ours = startError(Server.program(), env, args);
        String theirs = startError(NBDKIT, env, args);
        assertEquals(theirs, ours, "start-up error under nbdkit and " + Server.program() + " " + String.join(" ", args));
        return ours;
    }

    private static String startError(String program, Map<String, String> env, List<String> args) {
        List<String> argv = new ArrayList<>();
        argv.add(program);
        argv.add("-U");
        argv.add("-");
        argv.addAll(args);
        argv.add("--run");
        argv.add("true");
        Cmd c = Cmd.of(argv);
        env.forEach(c::env);
        Cmd.Result r = c.exit(1);
        // "nbdkit: error: X" / "jnbdkit: error: X": compare X.
        return r.err().lines().filter(l -> l.contains("error: "))
                .map(l -> l.substring(l.indexOf("error: "))).reduce("", (a, b) -> a + b + "\n");
    }
}
