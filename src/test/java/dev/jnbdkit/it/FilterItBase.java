package dev.jnbdkit.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jnbdkit.it.Server.Impl;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * Base of the filter interop tests: every scenario runs the SAME server command line under
 * jnbdkit and Debian's nbdkit ({@link Impl}), drives each with the same real client, and compares
 * what the clients saw (bytes, extents, flags, errors), besides asserting the expected values.
 * The two servers are the harness's {@link Server.Impl}; refusals and digests are
 * {@link Differential}'s.
 */
abstract class FilterItBase extends ItBase {
    private static final AtomicInteger SEQ = new AtomicInteger();

    /** {@code IMPL -f -U SOCK ARGS...}, ready. */
    Server start(Impl impl, List<String> args) {
        Path s = sock(impl.name().toLowerCase(java.util.Locale.ROOT) + SEQ.incrementAndGet());
        List<String> a = new ArrayList<>(List.of("-f", "-U", s.toString()));
        a.addAll(args);
        return Server.launch(impl, a).socket(s).ready();
    }

    /**
     * Starts each server with {@code args}, runs {@code client} on it, stops it (exit status 0),
     * and returns what the client returned, per server.
     */
    Map<Impl, String> each(List<String> args, Function<Server, String> client) {
        return each(impl -> args, client);
    }

    /** {@link #each} with a command line per server (e.g. each its own copy of a disk image). */
    Map<Impl, String> each(Function<Impl, List<String>> args, Function<Server, String> client) {
        Map<Impl, String> out = new EnumMap<>(Impl.class);
        for (Impl impl : Impl.values()) {
            Server s = start(impl, args.apply(impl));
            try {
                out.put(impl, client.apply(s));
            } finally {
                s.stop();
            }
        }
        return out;
    }

    /** {@link #each}, asserting that both clients saw the same; returns that. */
    String same(List<String> args, Function<Server, String> client) {
        Map<Impl, String> out = each(args, client);
        assertEquals(out.get(Impl.NBDKIT), out.get(Impl.JNBDKIT),
                "jnbdkit and nbdkit differ for " + String.join(" ", args));
        return out.get(Impl.JNBDKIT);
    }

    /** {@link #same} with a command line per server. */
    String same(Function<Impl, List<String>> args, Function<Server, String> client) {
        Map<Impl, String> out = each(args, client);
        assertEquals(out.get(Impl.NBDKIT), out.get(Impl.JNBDKIT),
                "jnbdkit and nbdkit differ for " + String.join(" ", args.apply(Impl.JNBDKIT)));
        return out.get(Impl.JNBDKIT);
    }

    static List<String> args(String... a) { return List.of(a); }

    /**
     * A sparse disk image of {@code size} bytes with pseudo-random data (fixed seed) in the
     * given {@code [offset, length]} ranges and holes elsewhere.
     */
    Path sparse(String name, long size, long... ranges) {
        Path p = file(name, size);
        java.util.Random rnd = new java.util.Random(name.hashCode());
        try (var ch = java.nio.channels.FileChannel.open(p, java.nio.file.StandardOpenOption.WRITE)) {
            for (int i = 0; i < ranges.length; i += 2) {
                byte[] b = new byte[(int) ranges[i + 1]];
                rnd.nextBytes(b);
                ch.write(java.nio.ByteBuffer.wrap(b), ranges[i]);
            }
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
        return p;
    }

    static final String STAMP = "\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{6} ";

    /** The log lines without their timestamps (each checked for the format first). */
    static List<String> lines(Path log) {
        List<String> out = new ArrayList<>();
        try {
            for (String l : Files.readAllLines(log)) {
                if (!l.matches(STAMP + ".*")) throw new AssertionError("log line without a timestamp: " + l);
                out.add(l.substring(27));
            }
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        return out;
    }

    /**
     * Runs {@code client} against {@code --filter=log FILTERS... PLUGIN logfile=LOG ARGS} under
     * both servers; asserts both logs are the same; returns jnbdkit's (timestamps stripped).
     */
    String sameLog(List<String> before, List<String> after, Function<Server, String> client) {
        Path[] logs = new Path[2];
        String[] seen = new String[2];
        for (Impl impl : Impl.values()) {
            Path log = tmp.resolve("log." + impl.name());
            List<String> a = new ArrayList<>(before);
            a.add("logfile=" + log);
            a.addAll(after);
            Server s = start(impl, a);
            seen[impl.ordinal()] = client.apply(s);
            s.stop();
            logs[impl.ordinal()] = log;
        }
        List<String> jl = lines(logs[0]), nl = lines(logs[1]);
        // jnbdkit calls after_fork always, as nbdkit-plugin(3) says; nbdkit 1.32 only when it
        // forked (not with -f): its Fork line is compared apart.
        assertEquals("Fork", jl.get(1), "jnbdkit logs Fork after Ready");
        jl.remove(1);
        nl.remove("Fork");
        // The harness's readiness probe connects (Preconnect) at a moment of its own: Preconnect
        // lines are checked for pairs, then left out of the comparison.
        for (List<String> l : List.of(jl, nl)) {
            for (String x : l) {
                if (x.startsWith("Preconnect id=")) {
                    String id = x.substring("Preconnect ".length(), x.indexOf(' ', "Preconnect ".length()));
                    assertTrue(l.stream().anyMatch(y -> y.startsWith("...Preconnect " + id + " return=")), "no return for " + x);
                }
            }
            l.removeIf(x -> x.startsWith("Preconnect id=") || (x.startsWith("...Preconnect id=") && x.endsWith(" return=0")));
        }
        String j = String.join("\n", jl), n = String.join("\n", nl);
        assertEquals(n, j, "log lines differ");
        assertEquals(seen[1], seen[0], "the clients saw different things");
        return j;
    }

    /** A copy of {@code image} for one server (so each writes its own). */
    Path copy(Path image, Impl impl) {
        Path c = image.resolveSibling(image.getFileName() + "." + impl.name().toLowerCase(java.util.Locale.ROOT));
        Cmd.of("cp", "--sparse=always", image.toString(), c.toString()).ok();
        return c;
    }

    // ---- clients ---------------------------------------------------------------------------

    /** {@code nbdinfo --json} without the lines that name the socket: flags, size, contexts. */
    static String info(Server s) { return info(s.uri()); }

    static String info(String uri) {
        String out = Cmd.of("nbdinfo", "--json", uri).ok().out();
        return stripUri(out);
    }

    static String stripUri(String out) {
        StringBuilder sb = new StringBuilder();
        for (String line : out.split("\n")) if (!line.strip().startsWith("\"uri\"")) sb.append(line).append('\n');
        return sb.toString();
    }

    /** {@code nbdinfo --map}: the extents. */
    static String map(Server s) { return Cmd.of("nbdinfo", "--map", s.uri()).ok().out(); }

    /** A Python snippet after prelude.py ({@code h} connected to the server), its stdout. */
    static String py(Server s, String body) {
        Cmd.Result r = python(resource("prelude.py") + "\n" + body, s.uri());
        return r.ok().out();
    }

    /**
     * A bad command line: both servers refuse it alike ({@link Differential#assertSameRefusal}),
     * and the message has the line {@code error: MESSAGE}.
     */
    static void badParameter(String message, String... args) {
        String m = Differential.assertSameRefusal(args);
        if (!("\n" + m).contains("\nerror: " + message + "\n")) {
            throw new AssertionError("expected the line \"error: " + message + "\" in\n" + m);
        }
    }

    /** The server's stderr lines that contain {@code error:}, without the program name and connection tags. */
    static List<String> errors(Server s) {
        List<String> out = new ArrayList<>();
        for (String line : s.stderr().split("\n")) {
            int i = line.indexOf("error: ");
            // nbdkit complains about the harness's readiness probe (connect, then hang up)
            if (i >= 0 && !line.contains("handshake") && !line.contains("initial client flags")
                    && !line.contains("Connection reset by peer") && !line.contains("Broken pipe")) {
                out.add(line.substring(i));
            }
        }
        return out;
    }
}
