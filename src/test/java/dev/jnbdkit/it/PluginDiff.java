package dev.jnbdkit.it;

import dev.jnbdkit.it.Server.Impl;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * What a client sees of a plugin's disk under both servers ({@link Differential} is the rest of
 * the differential harness: refusals, digests): size, the bytes' SHA-256 from nbdcopy and
 * nbdinfo's map ({@link Seen}) must be equal, and so must what a Python script saw.
 */
final class PluginDiff {
    private PluginDiff() {}

    /** What clients see of one export. */
    record Seen(long size, String sha256, String map) {}

    /** Starts {@code program -f -U SOCK ARGS...}, looks at the disk, stops the server. */
    static Seen see(String program, Path dir, String... args) {
        Server s = Differential.unix(program, dir.resolve("diff-" + System.nanoTime() + ".sock"), args);
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
        String sha = Differential.sha256(copy);
        try { Files.delete(copy); } catch (IOException e) { throw new AssertionError(e); }
        String map = Cmd.of("nbdinfo", "--map", uri).ok().out();
        return new Seen(size, sha, map);
    }

    /** Asserts that jnbdkit and nbdkit serve the same disk for {@code args}; returns what was seen. */
    static Seen assertSameDisk(Path dir, String... args) {
        Seen ours = see(Impl.JNBDKIT.command(), dir, args);
        Seen theirs = see(Impl.NBDKIT.command(), dir, args);
        assertEquals(theirs, ours, "jnbdkit and nbdkit differ for " + List.of(args));
        return ours;
    }

    /** Runs a Python script against both servers serving {@code args}; the outputs must match. */
    static String assertSameScript(Path dir, String script, String... args) {
        String ours = script(Impl.JNBDKIT.command(), dir, script, args);
        String theirs = script(Impl.NBDKIT.command(), dir, script, args);
        assertEquals(theirs, ours, "the script saw different things from jnbdkit and nbdkit for " + List.of(args));
        return ours;
    }

    private static String script(String program, Path dir, String script, String... args) {
        Server s = Differential.unix(program, dir.resolve("diff-" + System.nanoTime() + ".sock"), args);
        try {
            return ItBase.python(script, s.uri()).ok().out();
        } finally {
            s.stop();
        }
    }
}
