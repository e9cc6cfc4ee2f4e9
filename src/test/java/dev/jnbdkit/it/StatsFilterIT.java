package dev.jnbdkit.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import dev.jnbdkit.it.Server.Impl;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The stats filter: the file written at exit, compared with nbdkit's line by line with the
 * timings (seconds and rates) taken out: counts, bytes, the order of the lines, and the size and
 * alignment breakdown.
 */
class StatsFilterIT extends ItBase {
    private static final String OPS = """
            import sys, nbd
            h = nbd.NBD()
            h.add_meta_context("base:allocation")
            h.connect_uri(sys.argv[1])
            for off in (0, 4096, 8192, 65536):
                h.pwrite(b"x" * 4096, off)
            h.pwrite(b"y" * 1000, 12288)
            h.pread(65536, 0)
            h.pread(4096, 4096)
            h.pread(4096, 8192)
            h.pread(4096, 1024)
            h.pread(512, 512)
            h.trim(1048576, 1048576)
            h.zero(4096, 0)
            h.zero(8192, 8192)
            h.flush()
            h.flush()
            h.cache(4096, 0)
            h.block_status(65536, 0, lambda *a: 0)
            h.block_status(65536, 65536, lambda *a: 0)
            """;

    /** Every line, with seconds and rates (which depend on timing) replaced. */
    static String untimed(String stats) {
        return stats.lines()
                .map(l -> l.replaceAll("\\d+\\.\\d{6} s", "T s").replaceAll(", [^,(]*/s( op| total)?", ", R/s$1")
                        .replaceAll(", \\(n/a\\)/s", ", R/s"))
                .reduce("", (x, y) -> x + y + "\n");
    }

    private String stats(Impl server, String script, boolean fresh, String... params) {
        Path file = tmp.resolve("stats-" + Math.abs(server.hashCode()) + ".txt");
        try {
            if (fresh) Files.deleteIfExists(file);
            List<String> a = new ArrayList<>(List.of("-U", "-", "--filter=stats", "memory", "10M", "statsfile=" + file));
            a.addAll(List.of(params));
            Path py = tmp.resolve("ops.py");
            Files.writeString(py, script);
            a.addAll(List.of("--run", Clients.PYTHON + " " + py + " \"$uri\""));
            Server.command(server, a).ok();
            return Files.readString(file);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private List<String> both(String script, String... params) {
        List<String> got = new ArrayList<>();
        for (Impl server : Impl.values()) got.add(untimed(stats(server, script, true, params)));
        return got;
    }

    @Test
    void opLinesAsInNbdkit() {
        List<String> got = both(OPS, "statsthreshold=0");
        assertEquals(got.get(1), got.get(0));
        String s = got.get(0);
        assertTrue(s.startsWith("total: 17 ops, T s, "), s);
        assertTrue(s.contains("\nwrite: 5 ops, T s, 16.98 KiB, R/s op, R/s total\n"), s);
        assertTrue(s.contains("\nflush: 2 ops, T s, 0 bytes, R/s op, R/s total"), s);
        assertTrue(!s.contains("breakdown"), s);
    }

    @Test
    void opLinesWithTheDefaultBreakdown() {
        // The summary lines match whatever the breakdown says.
        List<String> got = both(OPS);
        assertEquals(got.get(1).lines().filter(l -> !l.startsWith(" ")).toList(),
                got.get(0).lines().filter(l -> !l.startsWith(" ")).toList());
        assertTrue(got.get(0).contains("  Request size and alignment breakdown:\n"), got.get(0));
    }

    @Test
    void breakdownAsInNbdkit() {
        // Cases measured against nbdkit: one common size with a rarer one, one size only, one request.
        String[] scripts = {
                """
                import sys, nbd
                h = nbd.NBD(); h.connect_uri(sys.argv[1])
                h.pread(4096, 4096); h.pread(4096, 8192); h.pread(4096, 0); h.pread(512, 512)
                """,
                """
                import sys, nbd
                h = nbd.NBD(); h.connect_uri(sys.argv[1])
                h.pread(4096, 4096); h.pread(4096, 1024)
                """,
                """
                import sys, nbd
                h = nbd.NBD(); h.connect_uri(sys.argv[1])
                h.pwrite(b"x" * 4096, 0); h.pwrite(b"x" * 4096, 8192); h.pwrite(b"x" * 1000, 12288)
                h.trim(1048576, 1048576); h.zero(4096, 0)
                """,
        };
        for (String script : scripts) {
            for (String threshold : List.of("statsthreshold=95", "statsthreshold=100")) {
                List<String> got = both(script, threshold);
                assertEquals(got.get(1), got.get(0), threshold + "\n" + script);
            }
        }
    }

    @Test
    void statsappendAppends() {
        String one = """
                import sys, nbd
                h = nbd.NBD(); h.connect_uri(sys.argv[1]); h.pread(512, 0)
                """;
        for (Impl server : Impl.values()) {
            stats(server, one, true);
            String twice = stats(server, one, false, "statsappend=true");
            assertEquals(2, twice.lines().filter(l -> l.startsWith("total: ")).count(), twice);
            String replaced = stats(server, one, false, "statsappend=false");
            assertEquals(1, replaced.lines().filter(l -> l.startsWith("total: ")).count(), replaced);
        }
    }

    @Test
    void badParametersFailAsInNbdkit() {
        String[][] cases = {
                {}, {"statsfile=" + "/nonexistent/dir/s.txt"}, {"statsfile=S", "statsappend=x"},
                {"statsfile=S", "statsthreshold=101"}, {"statsfile=S", "statsthreshold=x"},
        };
        for (String[] c : cases) {
            List<String> a = new ArrayList<>(List.of("--filter=stats", "memory", "1M"));
            for (String p : c) a.add(p.replace("=S", "=" + tmp.resolve("s.txt")));
            Differential.assertSameRefusal(a);
        }
    }
}
