package dev.jnbdkit.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Differential checks for the standard plugins: the same command line under the server being
 * tested and under Debian's nbdkit ({@link #NBDKIT}), through real clients. What a client sees
 * of a disk ({@link Seen}: size, the bytes' SHA-256 from nbdcopy, nbdinfo's map) must be equal;
 * so must a refused command line's exit status and message (with the program name taken out).
 */
final class PluginDiff {
    static final String NBDKIT = "/usr/bin/nbdkit";

    private PluginDiff() {}

    /** What clients see of one export. */
    record Seen(long size, String sha256, String map) {}

    /** Starts {@code program -f -U SOCK ARGS...}, looks at the disk, stops the server. */
    static Seen see(String program, Path dir, String... args) {
        Path sock = dir.resolve("diff-" + System.nanoTime() + ".sock");
        List<String> argv = new ArrayList<>(List.of(program, "-f", "-U", sock.toString()));
        argv.addAll(List.of(args));
        Server s = Server.startAndWait(argv, sock, 0);
        try {
            return look(s.uri(), dir);
        } finally {
            s.stop();
        }
    }

    /** Size, SHA-256 of the bytes (nbdcopy to a file) and {@code nbdinfo --map} of {@code uri}. */
    static Seen look(String uri, Path dir) {
        long size = Long.parseLong(Cmd.of("nbdinfo", "--size", uri).ok().out().strip());
        Path copy = dir.resolve("copy-" + System.nanoTime());
        Cmd.of("nbdcopy", uri, copy.toString()).ok();
        String sha = sha256(copy);
        try { Files.delete(copy); } catch (IOException e) { throw new AssertionError(e); }
        String map = Cmd.of("nbdinfo", "--map", uri).ok().out();
        return new Seen(size, sha, map);
    }

    /** Asserts that jnbdkit and nbdkit serve the same disk for {@code args}; returns what was seen. */
    static Seen assertSameDisk(Path dir, String... args) {
        Seen ours = see(Server.program(), dir, args);
        Seen theirs = see(NBDKIT, dir, args);
        assertEquals(theirs, ours, "jnbdkit and nbdkit differ for " + List.of(args));
        return ours;
    }

    /** A command line that must be refused: exit status 1 and nbdkit's message, from both. */
    static String assertSameRefusal(String... args) {
        String ours = refusal(Server.program(), args);
        String theirs = refusal(NBDKIT, args);
        assertEquals(theirs, ours, "jnbdkit and nbdkit refuse " + List.of(args) + " differently");
        return ours;
    }

    private static String refusal(String program, String... args) {
        List<String> argv = new ArrayList<>(List.of(program, "-f", "-U", "-"));
        argv.addAll(List.of(args));
        argv.add("--run");
        argv.add("true");
        Cmd.Result r = Cmd.of(argv).inheritPath().exit(1);
        return normalize(r.err());
    }

    /** Message lines with the program name ({@code jnbdkit:}/{@code nbdkit:}) and plugin prefixes taken out. */
    static String normalize(String stderr) {
        StringBuilder out = new StringBuilder();
        for (String line : stderr.split("\n")) {
            if (line.isBlank() || line.contains("building jnbdkit") || line.contains("build done")) continue;
            out.append(line.replaceFirst("^j?nbdkit: ([a-z-]+(\\[\\d+\\]|\\.\\d+): )?", "")).append('\n');
        }
        return out.toString();
    }

    /** Runs a Python script against both servers serving {@code args}; the outputs must match. */
    static String assertSameScript(Path dir, String script, String... args) {
        String ours = script(Server.program(), dir, script, args);
        String theirs = script(NBDKIT, dir, script, args);
        assertEquals(theirs, ours, "the script saw different things from jnbdkit and nbdkit for " + List.of(args));
        return ours;
    }

    private static String script(String program, Path dir, String script, String... args) {
        Path sock = dir.resolve("diff-" + System.nanoTime() + ".sock");
        List<String> argv = new ArrayList<>(List.of(program, "-f", "-U", sock.toString()));
        argv.addAll(List.of(args));
        Server s = Server.startAndWait(argv, sock, 0);
        try {
            return ItBase.python(script, s.uri()).ok().out();
        } finally {
            s.stop();
        }
    }

    static String sha256(Path p) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            try (var in = Files.newInputStream(p)) {
                byte[] buf = new byte[1 << 16];
                for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (IOException | NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }
}
