package dev.jnbdkit.pyconf;

import dev.jnbdkit.it.Server.Impl;
import dev.jnbdkit.it.Server;
import dev.jnbdkit.pyconf.Servers.Spec;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;
import java.util.function.Predicate;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Differential conformance tests: each scenario runs the same Python plugin and the same real
 * client against Debian's nbdkit and against jnbdkit, and compares what the client (and the
 * plugin's own trace) observed. Where the contract deliberately differs from nbdkit 1.32.5 a
 * test asserts the contract for jnbdkit and says why in a comment.
 */
abstract class PyConfBase {
    @TempDir Path tmp;

    @BeforeAll
    static void tools() throws Exception {
        assertTrue(Files.isExecutable(Path.of(Server.NBDKIT)), "needs Debian's nbdkit");
        assertTrue(Files.exists(Path.of("/usr/lib/x86_64-linux-gnu/nbdkit/plugins/nbdkit-python-plugin.so")),
                "needs nbdkit-plugin-python");
        assertTrue(Files.isExecutable(Path.of(Servers.CLIENT_PYTHON)), "needs /usr/bin/python3");
        Process p = new ProcessBuilder(Servers.CLIENT_PYTHON, "-c", "import nbd").start();
        assertTrue(p.waitFor() == 0, "needs python3-libnbd");
        assertTrue(Files.exists(dev.jnbdkit.it.Server.home().resolve("target/jnbdkit.jar")), "needs the packaged jar");
    }

    /** What one server run showed: client output, the plugin's trace, the server log and exit status. */
    record Obs(String client, String trace, String log, int exit, Path dir) {}

    @FunctionalInterface
    interface Scenario {
        String run(Server s) throws Exception;
    }

    Path dirFor(String label) throws Exception {
        return Files.createDirectories(tmp.resolve(label));
    }

    /** Runs the scenario on one server: start (must succeed), client, SIGTERM. */
    Obs observe(Impl impl, Spec spec, Scenario sc) throws Exception {
        Path base = Files.createTempDirectory(tmp, "r");
        try (Server s = Servers.startOk(impl, base, spec)) {
            String out = sc.run(s);
            int exit = s.terminate();
            return new Obs(out, Servers.normalize(s, Servers.trace(s)), Servers.normalize(s, s.log()), exit, s.dir());
        }
    }

    Map<Impl, Obs> both(Spec spec, Scenario sc) throws Exception {
        Map<Impl, Obs> m = new EnumMap<>(Impl.class);
        for (Impl i : Impl.values()) m.put(i, observe(i, spec, sc));
        return m;
    }

    /**
     * Runs on both servers and asserts the clients saw the same thing; returns jnbdkit's observation
     * (for contract assertions on top).
     */
    Obs same(Spec spec, Scenario sc) throws Exception {
        Map<Impl, Obs> m = both(spec, sc);
        assertEquals(m.get(Impl.NBDKIT).client(), m.get(Impl.JNBDKIT).client(),
                "client output differs (expected = nbdkit, actual = jnbdkit)\nnbdkit log:\n"
                        + m.get(Impl.NBDKIT).log() + "\njnbdkit log:\n" + m.get(Impl.JNBDKIT).log());
        return m.get(Impl.JNBDKIT);
    }

    /** As {@link #same}, and the plugin's traces (lines kept by the filter) are equal too. */
    Obs sameWithTrace(Spec spec, Predicate<String> lines, Scenario sc) throws Exception {
        Map<Impl, Obs> m = both(spec, sc);
        Obs n = m.get(Impl.NBDKIT), j = m.get(Impl.JNBDKIT);
        assertEquals(n.client(), j.client(), "client output differs (expected = nbdkit, actual = jnbdkit)\n"
                + "nbdkit log:\n" + n.log() + "\njnbdkit log:\n" + j.log());
        assertEquals(canonical(filter(n.trace(), lines)), canonical(filter(j.trace(), lines)),
                "plugin trace differs (expected = nbdkit, actual = jnbdkit)\nclient:\n" + j.client());
        return j;
    }

    Obs sameWithTrace(Spec spec, Scenario sc) throws Exception {
        return sameWithTrace(spec, l -> true, sc);
    }

    /** Negotiation callbacks (can_*, is_rotational...) may come in any order: sort each run of them. */
    static String canonical(String trace) {
        java.util.List<String> out = new java.util.ArrayList<>(), run = new java.util.ArrayList<>();
        for (String l : trace.lines().toList()) {
            if (l.matches("(can_\\w+|is_rotational|get_size|block_size|export_description)\\b.*")) {
                run.add(l);
                continue;
            }
            java.util.Collections.sort(run);
            out.addAll(run);
            run.clear();
            out.add(l);
        }
        java.util.Collections.sort(run);
        out.addAll(run);
        return String.join("\n", out);
    }

    static String filter(String text, Predicate<String> keep) {
        return text.lines().filter(keep).collect(Collectors.joining("\n"));
    }

    /** Asserts the text has the line (whole line). */
    static void assertLine(String text, String line) {
        if (text.lines().noneMatch(line::equals)) fail("no line <" + line + "> in:\n" + text);
    }

    static void assertContains(String text, String part) {
        if (!text.contains(part)) fail("<" + part + "> not found in:\n" + text);
    }
}
