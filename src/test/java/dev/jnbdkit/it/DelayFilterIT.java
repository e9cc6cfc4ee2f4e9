package dev.jnbdkit.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jnbdkit.it.Server.Impl;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * nbdkit-delay-filter: each request kind waits at least its delay. Only lower bounds are checked
 * (machines are shared): each timed call prints whether it took at least the delay.
 */
class DelayFilterIT extends FilterItBase {
    static final String TIMED = """
            import time
            def t(name, want, fn):
                t0 = time.monotonic()
                try:
                    fn()
                    r = "ok"
                except nbd.Error as e:
                    r = errno.errorcode.get(e.errno, e.errno)
                print(name, r, time.monotonic() - t0 >= want)
            """;

    @Test
    void everyRequestKind() {
        String out = same(args("--filter=delay", "memory", "1M", "rdelay=300ms", "delay-write=400ms", "delay-zero=500ms",
                "delay-trim=600ms", "delay-extents=700ms", "delay-cache=800ms"), s -> py(s, TIMED + """
                t("read", 0.3, lambda: h.pread(512, 0))
                t("write", 0.4, lambda: h.pwrite(b"a" * 512, 0))
                t("zero", 0.5, lambda: h.zero(512, 0))
                t("trim", 0.6, lambda: h.trim(512, 0))
                t("extents", 0.7, lambda: h.block_status(512, 0, lambda *a: 0))
                t("cache", 0.8, lambda: h.cache(512, 0))
                """));
        assertEquals("read ok True\nwrite ok True\nzero ok True\ntrim ok True\nextents ok True\ncache ok True\n", out);
    }

    @Test
    void aliasesAndWdelay() {
        for (List<String> a : List.of(args("delay-read=1"), args("wdelay=300ms"))) {
            List<String> argv = new java.util.ArrayList<>(args("--filter=delay", "memory", "1M"));
            argv.addAll(a);
            String out = same(argv, s -> py(s, TIMED + """
                    t("read", 1.0, lambda: h.pread(512, 0))
                    t("write", 0.3, lambda: h.pwrite(b"a" * 512, 0))
                    t("zero", 0.3, lambda: h.zero(512, 0))
                    t("trim", 0.3, lambda: h.trim(512, 0))
                    """));
            String want = a.getFirst().startsWith("delay-read")
                    ? "read ok True\n" : "write ok True\nzero ok True\ntrim ok True\n";
            for (String line : want.split("\n")) assertTrue(out.contains(line + "\n"), a + "\n" + out);
        }
    }

    /** delay-fast-zero=false: a fast zero fails at once with ENOTSUP instead of waiting. */
    @Test
    void fastZero() {
        String out = same(args("--filter=delay", "memory", "1M", "delay-zero=2", "delay-fast-zero=false"), s -> info(s) + py(s, TIMED + """
                t0 = time.monotonic()
                try:
                    h.zero(512, 0, nbd.CMD_FLAG_FAST_ZERO)
                    print("fast zero done")
                except nbd.Error as e:
                    print("fast zero", errno.errorcode.get(e.errno, e.errno), time.monotonic() - t0 < 1.9)
                t("zero", 2.0, lambda: h.zero(512, 0))
                """));
        assertTrue(out.contains("\"can_fast_zero\": true"), out);
        assertTrue(out.contains("fast zero EOPNOTSUPP True\nzero ok True\n") || out.contains("fast zero ENOTSUP True\nzero ok True\n"), out);
        out = same(args("--filter=delay", "memory", "1M", "delay-zero=1", "delay-fast-zero=true"), s -> py(s, TIMED + """
                t("fast zero", 1.0, lambda: h.zero(512, 0, nbd.CMD_FLAG_FAST_ZERO))
                """));
        assertEquals("fast zero ok True\n", out);
    }

    /** delay-open: connecting takes the delay; delay-close: a graceful shutdown does. */
    @Test
    void openAndClose() {
        String out = same(args("--filter=delay", "memory", "1M", "delay-open=500ms", "delay-close=600ms"), s -> python("""
                import sys, time, nbd
                h = nbd.NBD()
                t0 = time.monotonic()
                h.connect_uri(sys.argv[1])
                print("open", time.monotonic() - t0 >= 0.5)
                h.shutdown()
                """, s.uri()).ok().out());
        assertEquals("open True\n", out);
        // The close delay runs before the layers below close: a log filter below the delay
        // writes its Disconnect line at least the delay after the last request.
        for (Impl impl : Impl.values()) {
            java.nio.file.Path log = tmp.resolve("close." + impl.name());
            Server s = start(impl, args("--filter=delay", "--filter=log", "memory", "1M", "delay-close=600ms", "logfile=" + log));
            py(s, "h.pread(512, 0)\nh.shutdown()\n");
            s.stop();
            List<String> lines = readLines(log);
            String read = lines.stream().filter(l -> l.contains("...Read id=1")).findFirst().orElseThrow();
            String disc = lines.stream().filter(l -> l.contains("Disconnect")).reduce((a, b) -> b).orElseThrow();
            double gap = seconds(disc) - seconds(read);
            assertTrue(gap >= 0.6, impl + ": Disconnect only " + gap + " s after the read\n" + lines);
        }
    }

    static List<String> readLines(java.nio.file.Path p) {
        try {
            return java.nio.file.Files.readAllLines(p);
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    /** Seconds since midnight of a log line's timestamp. */
    static double seconds(String line) {
        String t = line.substring(11, 26);
        return Integer.parseInt(t.substring(0, 2)) * 3600 + Integer.parseInt(t.substring(3, 5)) * 60 + Double.parseDouble(t.substring(6));
    }

    @Test
    void badParameters() {
        badParameter("rdelay: empty string where we expected a number", "--filter=delay", "memory", "1M", "rdelay=x");
        badParameter("rdelay: could not parse number: \"1x\": trailing garbage", "--filter=delay", "memory", "1M", "rdelay=1x");
        badParameter("cannot parse rdelay in milliseconds parameter: xms", "--filter=delay", "memory", "1M", "rdelay=xms");
        badParameter("rdelay: negative numbers are not allowed", "--filter=delay", "memory", "1M", "rdelay=-1");
        badParameter("could not decipher boolean (maybe)", "--filter=delay", "memory", "1M", "delay-fast-zero=maybe");
        badParameter("delay-open: could not parse number: \"1.5\": trailing garbage", "--filter=delay", "memory", "1M", "delay-open=1.5");
    }
}
