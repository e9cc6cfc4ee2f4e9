package dev.jnbdkit.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * What the sh and eval interop tests share: their scripts (src/test/resources/sh/, run in place
 * so that they keep their executable bit), and the differential part: the same command line
 * under the server under test and under Debian's nbdkit, with logs compared once the parts that
 * must differ (program name, connection numbers, the random {@code $tmpdir}) are normalised.
 */
abstract class ScriptPluginItBase extends ItBase {
    private int pairs;

    static Path script(String name) {
        return Server.home().resolve("src/test/resources/sh").resolve(name);
    }

    /** The server under test and nbdkit, same plugin arguments, each on its own socket. */
    record Pair(Server ours, Server theirs) {
        List<Server> both() { return List.of(ours, theirs); }
    }

    Pair pair(String... args) {
        int n = ++pairs;
        Server ours = Server.unix(sock("ours" + n), args);
        Server theirs = Server.startAndWait(nbdkitArgv(sock("theirs" + n), args), sock("theirs" + n), 0);
        return new Pair(ours, theirs);
    }

    static List<String> nbdkitArgv(Path socket, String... args) {
        List<String> a = new ArrayList<>(List.of(Server.Impl.NBDKIT.command(), "-f", "-U", socket.toString()));
        a.addAll(List.of(args));
        return a;
    }

    private static final Pattern TMPDIR = Pattern.compile("/tmp/nbdkit[A-Za-z0-9]{6}");
    private static final Pattern CONNECTION = Pattern.compile("^(j?nbdkit): ([a-z]+)\\[\\d+\\]: ", Pattern.MULTILINE);

    /** The random {@code $tmpdir} of the sh and eval plugins, as "$tmpdir". */
    static String maskTmpdir(String text) { return TMPDIR.matcher(text).replaceAll("\\$tmpdir"); }

    /** A log or message with the differences that carry no meaning taken out. */
    static String normalize(String log) {
        String s = maskTmpdir(log);
        s = CONNECTION.matcher(s).replaceAll("$1: $2: ");
        return s.replaceAll("(?m)^jnbdkit: ", "nbdkit: ");
    }

    /** The error lines of a server log (debug lines and everything else dropped), normalised. */
    static List<String> errors(String log) {
        // The harness's readiness probe connects and leaves: nbdkit logs that, jnbdkit does not.
        return normalize(log).lines().filter(l -> l.contains(" error: ") && !l.contains("handshake")).toList();
    }

    /** nbdinfo --json's answer for one export, without the URI (it names the socket). */
    static String exportFacts(Json export) {
        StringBuilder sb = new StringBuilder();
        for (String key : List.of("export-name", "description", "export-size", "is_rotational", "is_read_only",
                "can_cache", "can_df", "can_fast_zero", "can_flush", "can_fua", "can_multi_conn", "can_trim",
                "can_zero", "block_size_minimum", "block_size_preferred", "block_size_maximum")) {
            if (export.has(key)) sb.append(key).append('=').append(export.get(key)).append('\n');
        }
        return sb.toString();
    }

    static String facts(Server s) {
        return exportFacts(nbdinfoJson(s.uri()).get("exports").at(0));
    }

    /** Same nbdinfo --json facts from both servers; returns ours. */
    static String sameFacts(Pair p) {
        String ours = facts(p.ours());
        assertEquals(facts(p.theirs()), ours, "nbdinfo --json: jnbdkit (actual) vs nbdkit (expected)");
        return ours;
    }

    static String map(Server s) {
        return Cmd.of("nbdinfo", "--map", s.uri()).ok().out();
    }
}
