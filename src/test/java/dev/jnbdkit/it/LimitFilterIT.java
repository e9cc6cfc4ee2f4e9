package dev.jnbdkit.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** nbdkit-limit-filter: concurrent clients over the limit are refused; after a close, one more may come. */
class LimitFilterIT extends FilterItBase {
    /** Opens N handles at once; prints how many connected, then connects again after closing one. */
    static String clients(int n) {
        return """
                hs, refused = [], 0
                for i in range(COUNT):
                    x = nbd.NBD()
                    try:
                        x.connect_uri(uri)
                        hs.append(x)
                    except nbd.Error:
                        refused += 1
                print(len(hs) + 1, "connected,", refused, "refused")
                h.shutdown()
                import time
                time.sleep(0.5)
                y = nbd.NBD()
                y.connect_uri(uri)
                print("after a close:", y.pread(1, 0))
                """.replace("COUNT", Integer.toString(n));
    }

    @Test
    void defaultIsOne() {
        String out = same(args("--filter=limit", "memory", "1M"), s -> py(s, clients(2)) + String.join("\n", errors(s)));
        assertTrue(out.startsWith("1 connected, 2 refused\nafter a close: bytearray(b'\\x00')\n"), out);
        assertTrue(out.contains("error: limit: too many clients connected, connection rejected"), out);
    }

    @Test
    void limitN() {
        String out = same(args("--filter=limit", "memory", "1M", "limit=3"), s -> py(s, clients(4)));
        assertTrue(out.startsWith("3 connected, 2 refused\n"), out);
        out = same(args("--filter=limit", "memory", "1M", "limit=0"), s -> py(s, clients(6)));
        assertEquals("7 connected, 0 refused\nafter a close: bytearray(b'\\x00')\n", out);
    }

    @Test
    void badParameters() {
        badParameter("limit: empty string where we expected a number", "--filter=limit", "memory", "1M", "limit=x");
        badParameter("limit: negative numbers are not allowed", "--filter=limit", "memory", "1M", "limit=-1");
    }
}
