package dev.jnbdkit.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * nbdkit-rate-filter: reads and writes take at least as long as the rate allows beyond the burst.
 * Only lower bounds are checked (machines are shared and slow, never fast).
 */
class RateFilterIT extends FilterItBase {
    /** Reads (or writes) MB mebibytes in 64 KiB requests; prints whether it took at least SECS. */
    static String timed(String op, int mebibytes, double seconds) {
        String call = op.equals("read") ? "h.pread(65536, 0)" : "h.pwrite(b'a' * 65536, 0)";
        return """
                import time
                t0 = time.monotonic()
                for i in range(MB * 16):
                    CALL
                print("OP", time.monotonic() - t0 >= SECS)
                """.replace("MB", Integer.toString(mebibytes)).replace("CALL", call).replace("OP", op)
                .replace("SECS", Double.toString(seconds));
    }

    /** rate=8M is 1 MiB/s: 3 MiB beyond a 2-second burst takes at least 1 s, for reads and writes each. */
    @Test
    void serverRate() {
        String out = same(args("--filter=rate", "memory", "4M", "rate=8M"),
                s -> py(s, timed("read", 3, 0.9) + timed("write", 3, 0.9)));
        assertEquals("read True\nwrite True\n", out);
    }

    @Test
    void connectionRate() {
        String out = same(args("--filter=rate", "memory", "4M", "connection-rate=8M", "rate=800M"),
                s -> py(s, timed("read", 3, 0.9)));
        assertEquals("read True\n", out);
    }

    /** burstiness=0.1: almost no burst, so 1 MiB at 1 MiB/s takes about a second. */
    @Test
    void burstiness() {
        String out = same(args("--filter=rate", "memory", "4M", "rate=8M", "burstiness=0.1"), s -> py(s, timed("read", 1, 0.85)));
        assertEquals("read True\n", out);
    }

    /** A rate file read while serving: the new, lower rate applies shortly after it is written. */
    @Test
    void rateFiles() throws Exception {
        for (String key : new String[] {"rate-file", "connection-rate-file"}) {
            Path f = tmp.resolve(key);
            Files.deleteIfExists(f);
            String out = same(args("--filter=rate", "memory", "4M", key + "=" + f), s -> py(s, """
                    import os, time
                    for i in range(32):
                        h.pread(65536, 0)
                    with open("FILE.tmp", "w") as w:
                        w.write("4M\\n")
                    os.rename("FILE.tmp", "FILE")
                    time.sleep(1.5)
                    h.pread(65536, 0)
                    time.sleep(1.5)
                    """.replace("FILE", f.toString()) + timed("read", 2, 1.5)));
            // 4 Mbit/s = 512 KiB/s with a 1 MiB burst: 2 MiB take at least 2 s
            assertEquals("read True\n", out, key);
        }
    }

    @Test
    void badParameters() {
        badParameter("could not parse size string (x)", "--filter=rate", "memory", "1M", "rate=x");
        badParameter("burstiness must be a floating point number (seconds)", "--filter=rate", "memory", "1M", "burstiness=x");
        badParameter("connection-rate cannot be set to 0", "--filter=rate", "memory", "1M", "connection-rate=0");
        badParameter("rate cannot be set to 0", "--filter=rate", "memory", "1M", "rate=0");
    }
}
