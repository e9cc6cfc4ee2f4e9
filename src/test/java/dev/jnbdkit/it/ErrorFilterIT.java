package dev.jnbdkit.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jnbdkit.it.Server.Impl;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** nbdkit-error-filter through libnbd: which requests fail, with which errno and log line. */
class ErrorFilterIT extends FilterItBase {
    /** Every data request once; prints OK or the errno for each. */
    static final String EVERY_CALL = """
            def t(name, fn):
                try:
                    fn()
                    print(name, "OK")
                except nbd.Error as e:
                    print(name, errno.errorcode.get(e.errno, e.errno))
            t("pread", lambda: h.pread(512, 0))
            t("pwrite", lambda: h.pwrite(b"a" * 512, 0))
            t("trim", lambda: h.trim(512, 0))
            t("zero", lambda: h.zero(512, 0))
            t("extents", lambda: h.block_status(512, 0, lambda *a: 0))
            t("cache", lambda: h.cache(512, 0))
            t("flush", lambda: h.flush())
            """;

    @Test
    void everyCallbackFailsAtRate100() {
        for (String e : List.of("EPERM", "EIO", "ENOMEM", "EINVAL", "ENOSPC", "ESHUTDOWN")) {
            String out = same(args("--filter=error", "memory", "1M", "error=" + e, "error-rate=100%"), s -> {
                String r = py(s, EVERY_CALL);
                return r + String.join("\n", errors(s));
            });
            for (String c : List.of("pread", "pwrite", "trim", "zero", "extents", "cache")) {
                assertTrue(out.contains(c + " " + e + "\n"), e + "\n" + out);
                assertTrue(out.contains("error: injecting " + e + " error into " + c), out);
            }
            assertTrue(out.contains("flush OK"), out);
        }
    }

    @Test
    void perCallbackSettings() {
        for (String c : List.of("pread", "pwrite", "trim", "zero", "extents", "cache")) {
            String out = same(args("--filter=error", "memory", "1M", "error-" + c + "=ENOSPC", "error-" + c + "-rate=1"),
                    s -> py(s, EVERY_CALL));
            for (String other : List.of("pread", "pwrite", "trim", "zero", "extents", "cache")) {
                assertTrue(out.contains(other + (other.equals(c) ? " ENOSPC" : " OK") + "\n"), c + "\n" + out);
            }
        }
        // Later parameters win: error-rate for all, then pread's own rate back to 0.
        String out = same(args("--filter=error", "memory", "1M", "error-rate=1", "error-pread-rate=0%"), s -> py(s, EVERY_CALL));
        assertTrue(out.contains("pread OK\npwrite EIO\n"), out);
    }

    @Test
    void triggerFiles() {
        for (String[] keys : new String[][] {{"error-file", "error-rate"}, {"error-pwrite-file", "error-pwrite-rate"}}) {
            Path trigger = tmp.resolve("inject-" + keys[0]);
            String out = same(args("--filter=error", "memory", "1M", keys[1] + "=100%", keys[0] + "=" + trigger), s -> py(s, """
                    import os, sys
                    trigger = sys.argv[2]
                    def w():
                        try:
                            h.pwrite(b"a" * 512, 0)
                            return "OK"
                        except nbd.Error as e:
                            return errno.errorcode.get(e.errno, e.errno)
                    print(w())
                    open(trigger, "w").close()
                    print(w())
                    os.unlink(trigger)
                    print(w())
                    """.replace("sys.argv[2]", "'" + trigger + "'")));
            assertEquals("OK\nEIO\nOK\n", out, keys[0]);
        }
    }

    /** A rate between 0 and 1 fails some requests and not others (200 reads at 50%). */
    @Test
    void partialRate() {
        Map<Impl, String> out = each(args("--filter=error", "memory", "1M", "error-pread-rate=0.5"), s -> py(s, """
                n = 0
                for i in range(200):
                    try:
                        h.pread(512, 0)
                    except nbd.Error:
                        n += 1
                print(n)
                """));
        for (var e : out.entrySet()) {
            int failed = Integer.parseInt(e.getValue().strip());
            assertTrue(failed > 40 && failed < 160, e.getKey() + ": " + failed + " of 200 reads failed at 50%");
        }
    }

    @Test
    void badParameters() {
        badParameter("error: unknown error name 'EFOO'", "--filter=error", "memory", "1M", "error=EFOO");
        badParameter("error-rate: rate out of range: '2' parsed as 2", "--filter=error", "memory", "1M", "error-rate=2");
        badParameter("error-rate: rate out of range: '101%' parsed as 1.01", "--filter=error", "memory", "1M", "error-rate=101%");
        badParameter("error-rate: could not parse rate 'x'", "--filter=error", "memory", "1M", "error-rate=x");
        badParameter("error-pread-rate: rate out of range: '-1' parsed as -1", "--filter=error", "memory", "1M", "error-pread-rate=-1");
        badParameter("unknown parameter 'error-flush-rate'", "--filter=error", "memory", "1M", "error-flush-rate=1");
    }
}
