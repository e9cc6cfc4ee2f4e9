package dev.jnbdkit.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The retry and retry-request filters over a Python plugin that fails on purpose
 * (it/flaky.py), each run under jnbdkit and Debian's nbdkit with the same command line: the
 * client's results, the plugin's own log of opens, closes and failures, and the errors must be
 * the same.
 */
class RetryFiltersIT extends ItBase {
    private static final String WORKLOAD = """
            import errno, sys, nbd
            h = nbd.NBD()
            h.add_meta_context("base:allocation")
            h.connect_uri(sys.argv[1])
            def attempt(name, fn):
                try:
                    r = fn()
                    print(name, "ok", r if r is not None else "")
                except nbd.Error as e:
                    print(name, "error", errno.errorcode.get(e.errno, e.errno))
            pattern = bytes(range(256)) * 40
            attempt("pwrite", lambda: h.pwrite(pattern, 1000))
            attempt("flush", lambda: h.flush())
            attempt("pread", lambda: h.pread(len(pattern), 1000) == pattern)
            if h.can_zero():
                attempt("zero", lambda: h.zero(4096, 65536))
            if h.can_trim():
                attempt("trim", lambda: h.trim(4096, 131072))
            seen = []
            attempt("block_status", lambda: h.block_status(65536, 0, lambda m, o, e, err: seen.extend(e)))
            print("extents", seen)
            attempt("pread-again", lambda: h.pread(len(pattern), 1000) == pattern)
            attempt("pread-zeroed", lambda: h.pread(4096, 65536) == bytes(4096))
            """;

    private Path flaky() {
        Path p = tmp.resolve("flaky.py");
        try {
            if (!Files.exists(p)) Files.writeString(p, resource("flaky.py"));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        return p;
    }

    /** One server's run: what the client printed, what the plugin logged, the server's stderr. */
    record Run(String client, String events, String stderr) {}

    private Run run(String server, String workload, String... args) {
        Path events = tmp.resolve("events-" + Math.abs(server.hashCode()) + "-" + System.nanoTime());
        List<String> a = new ArrayList<>(List.of(args));
        a.add("events=" + events);
        Server s = Differential.unix(server, tmp.resolve("s" + System.nanoTime()), a.toArray(String[]::new));
        Cmd.Result r = python(workload, s.uri());
        String ev = settledEvents(events);
        s.stop();
        return new Run(r.out() + r.err(), ev, s.stderr());
    }

    /**
     * The plugin's events once every handle it opened is closed. The client exits without
     * NBD_CMD_DISC, and each server closes the handle when it sees the socket go: stopping the
     * server before that would make the close appear under one server and not the other.
     */
    private static String settledEvents(Path events) {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (true) {
            String ev;
            try {
                ev = Files.exists(events) ? Files.readString(events) : "";
            } catch (IOException e) {
                throw new AssertionError(e);
            }
            long opened = ev.lines().filter(l -> l.startsWith("open ")).count() - count(ev, "fail open");
            long closed = ev.lines().filter(l -> l.startsWith("close")).count();
            if (closed >= opened || System.nanoTime() > deadline) return ev;
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return ev;
            }
        }
    }

    private Map<String, Run> both(String workload, String... args) {
        Map<String, Run> m = new LinkedHashMap<>();
        for (String server : Differential.servers()) m.put(server, run(server, workload, args));
        List<Run> runs = new ArrayList<>(m.values());
        assertEquals(runs.get(1).client(), runs.get(0).client(), "client results differ from nbdkit's");
        assertEquals(runs.get(1).events(), runs.get(0).events(), "the plugin saw different calls than under nbdkit");
        return m;
    }

    private static long count(String text, String line) {
        return text.lines().filter(l -> l.equals(line)).count();
    }

    @Test
    void retryReopensAfterEveryKindOfFailureAndTheDataStaysRight() {
        Map<String, Run> runs = both(WORKLOAD, "--filter=retry", "python", flaky().toString(), "retry-delay=1",
                "fail-pwrite=1", "fail-flush=1", "fail-pread=2", "fail-zero=1", "fail-trim=1", "fail-extents=1");
        Run j = runs.values().iterator().next();
        assertTrue(j.client().contains("pread ok True"), j.client());
        assertTrue(j.client().contains("pread-again ok True") && j.client().contains("pread-zeroed ok True"), j.client());
        assertTrue(!j.client().contains("error"), j.client());
        // 7 failures, each answered by closing the plugin's connection and opening a new one.
        assertEquals(8, j.events().lines().filter(l -> l.startsWith("open ")).count(), j.events());
        assertEquals(2, count(j.events(), "fail pread"), j.events());
    }

    @Test
    void retryGivesUpAfterRetriesWithTheErrorAndTheBackOffIsFixedWithoutExponential() {
        String read = """
                import errno, sys, nbd
                h = nbd.NBD()
                h.connect_uri(sys.argv[1])
                try:
                    h.pread(512, 0)
                    print("pread ok")
                except nbd.Error as e:
                    print("pread error", errno.errorcode.get(e.errno, e.errno))
                print("after", h.pread(512, 0) == bytes(512))
                """;
        Map<String, Run> runs = both(read, "-v", "--filter=retry", "python", flaky().toString(), "retries=2",
                "retry-delay=1", "retry-exponential=no", "fail-pread=3");
        for (Run r : runs.values()) {
            assertTrue(r.client().contains("pread error EIO"), r.client());
            assertTrue(r.client().contains("after True"), r.client());
            assertEquals(3, count(r.events(), "fail pread"), r.events());
            assertTrue(r.stderr().contains("retry 2: waiting 1 seconds before retrying"), r.stderr());
            assertTrue(r.stderr().contains("could not recover after 2 retries"), r.stderr());
        }
        // With back-off (the default) the second wait doubles.
        Run exp = run(Server.program(), read, "-v", "--filter=retry", "python", flaky().toString(), "retries=2",
                "retry-delay=1", "fail-pread=3");
        assertTrue(exp.stderr().contains("retry 2: waiting 2 seconds before retrying"), exp.stderr());
    }

    @Test
    void retryReadonlyReopensReadOnlyAndRefusesWrites() {
        String work = """
                import errno, sys, nbd
                h = nbd.NBD()
                h.connect_uri(sys.argv[1])
                print("read", h.pread(512, 0) == bytes(512))
                try:
                    h.pwrite(b"x" * 512, 0)
                    print("write ok")
                except nbd.Error as e:
                    print("write error", errno.errorcode.get(e.errno, e.errno))
                """;
        Map<String, Run> runs = both(work, "--filter=retry", "python", flaky().toString(), "retry-delay=1",
                "retry-readonly=yes", "fail-pread=1");
        for (Run r : runs.values()) {
            assertTrue(r.client().contains("read True"), r.client());
            assertTrue(r.client().contains("write error EPERM"), r.client());
            assertTrue(r.events().contains("open readonly=0\nfail pread\nclose 1\nopen readonly=1\n"), r.events());
        }
        // retry-readonly=no (the default) reopens read-write and writes still work.
        Map<String, Run> rw = both(work, "--filter=retry", "python", flaky().toString(), "retry-delay=1",
                "retry-readonly=no", "fail-pread=1");
        for (Run r : rw.values()) assertTrue(r.client().contains("write ok"), r.client());
    }

    @Test
    void retryDoesNotRetryTheFirstOpen() {
        String connect = """
                import sys, nbd
                h = nbd.NBD()
                try:
                    h.connect_uri(sys.argv[1])
                    print("connected")
                except nbd.Error as e:
                    print("refused")
                """;
        Map<String, Run> runs = both(connect, "--filter=retry", "python", flaky().toString(), "retry-delay=1",
                "fail-open=1");
        for (Run r : runs.values()) {
            assertEquals("refused\n", r.client());
            assertEquals("open readonly=0\nfail open\n", r.events());
        }
    }

    @Test
    void retryRequestRetriesOnTheSameConnection() {
        Map<String, Run> runs = both(WORKLOAD, "--filter=retry-request", "python", flaky().toString(),
                "retry-request-delay=1", "fail-pread=2", "fail-pwrite=1", "fail-flush=1", "fail-zero=1",
                "fail-trim=1", "fail-extents=1");
        Run j = runs.values().iterator().next();
        assertTrue(!j.client().contains("error"), j.client());
        assertTrue(j.client().contains("pread ok True"), j.client());
        // No reopen: one open, one close.
        assertEquals(1, j.events().lines().filter(l -> l.startsWith("open ")).count(), j.events());
    }

    @Test
    void retryRequestGivesUpAfterItsRetries() {
        String read = """
                import errno, sys, nbd
                h = nbd.NBD()
                h.connect_uri(sys.argv[1])
                try:
                    h.pread(512, 0)
                    print("pread ok")
                except nbd.Error as e:
                    print("pread error", errno.errorcode.get(e.errno, e.errno))
                """;
        Map<String, Run> runs = both(read, "--filter=retry-request", "python", flaky().toString(),
                "retry-request-retries=1", "retry-request-delay=1", "fail-pread=2");
        for (Run r : runs.values()) assertTrue(r.client().contains("pread error EIO"), r.client());
    }

    @Test
    void retryRequestRetriesOpenUnlessTold() {
        String connect = """
                import sys, nbd
                h = nbd.NBD()
                try:
                    h.connect_uri(sys.argv[1])
                    print("connected", h.get_size())
                except nbd.Error as e:
                    print("refused")
                """;
        Map<String, Run> retried = both(connect, "--filter=retry-request", "python", flaky().toString(),
                "retry-request-delay=1", "fail-open=2");
        for (Run r : retried.values()) {
            assertEquals("connected 1048576\n", r.client());
            assertEquals(3, r.events().lines().filter(l -> l.startsWith("open ")).count(), r.events());
        }
        Map<String, Run> not = both(connect, "--filter=retry-request", "python", flaky().toString(),
                "retry-request-delay=1", "retry-request-open=false", "fail-open=1");
        for (Run r : not.values()) assertEquals("refused\n", r.client());
    }

    @Test
    void badParametersFailAsInNbdkit() {
        String[][] cases = {
                {"--filter=retry", "retries=abc"}, {"--filter=retry", "retries=-1"},
                {"--filter=retry", "retries=12abc"}, {"--filter=retry", "retries=4294967296"},
                {"--filter=retry", "retry-delay=0"}, {"--filter=retry", "retry-delay=x"},
                {"--filter=retry", "retry-exponential=maybe"}, {"--filter=retry", "retry-readonly=maybe"},
                {"--filter=retry-request", "retry-request-retries=abc"},
                {"--filter=retry-request", "retry-request-delay=0"},
                {"--filter=retry-request", "retry-request-open=zz"},
        };
        for (String[] c : cases) Differential.assertSameRefusal(c[0], "memory", "1M", c[1]);
    }

    @Test
    void readaheadOverRetryOverPythonCopiesLikeNbdkit() {
        Path in = randomFile("in.img", 1 << 20, 7);
        for (String server : Differential.servers()) {
            Path events = tmp.resolve("ev-stack-" + Math.abs(server.hashCode()));
            Server s = Differential.unix(server, tmp.resolve("st" + Math.abs(server.hashCode())),
                    "--filter=readahead", "--filter=retry", "python", flaky().toString(), "retry-delay=1",
                    "fail-pwrite=1", "fail-pread=1", "events=" + events);
            Cmd.of("nbdcopy", in.toString(), s.uri()).ok();
            Path out = tmp.resolve("out-" + Math.abs(server.hashCode()) + ".img");
            Cmd.of("nbdcopy", s.uri(), out.toString()).ok();
            s.stop();
            assertFilesEqual(in, out);
            assertTrue(s.stderr().contains("readahead: warning: underlying plugin does not support NBD_CMD_CACHE"
                    + " or PARALLEL thread model, so the filter won't do anything"), s.stderr());
            try {
                String ev = Files.readString(events);
                assertEquals(1, count(ev, "fail pread"), ev);
                assertEquals(1, count(ev, "fail pwrite"), ev);
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        }
    }
}
