package dev.jnbdkit.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** nbdkit-truncate-filter through real clients, differential against nbdkit. */
class TruncateFilterIT extends FilterItBase {
    static final String IO = """
            import hashlib
            print(size)
            print(hashlib.sha256(h.pread(size, 0)).hexdigest())
            print(h.pread(8, size - 8))
            """;

    /** truncate=SIZE smaller and larger; round-up and round-down: size, bytes, map. */
    @Test
    void sizes() {
        Path img = sparse("t.img", 10000, 0, 10000);
        for (List<String> params : List.of(List.of("truncate=4096"), List.of("truncate=20000"), List.of("round-up=4k"),
                List.of("round-down=4k"), List.of("truncate=5000", "round-up=512"), List.of("round-up=512", "round-down=8k"))) {
            List<String> a = new java.util.ArrayList<>(List.of("--filter=truncate", "file", img.toString(), "-r"));
            a.addAll(params);
            String out = same(a, s -> py(s, IO) + map(s)
                    + Json.parse(Cmd.of("qemu-img", "info", "--output=json", s.uri()).ok().out()).get("virtual-size").asLong() + "\n");
            long expect = switch (params.getFirst()) {
                case "truncate=4096" -> 4096;
                case "truncate=20000" -> 20000;
                case "round-up=4k" -> 12288;
                case "round-down=4k" -> 8192;
                case "truncate=5000" -> 5120;
                default -> 8192;
            };
            // qemu-img shows the size rounded up to whole 512-byte sectors
            assertTrue(out.startsWith(expect + "\n") && out.endsWith("\n" + (expect + 511) / 512 * 512 + "\n"), params + "\n" + out);
        }
    }

    /** Past the real end: reads zeros, writes of zeros succeed, anything else is ENOSPC; extents a hole. */
    @Test
    void beyondTheRealEnd() {
        String out = same(args("--filter=truncate", "memory", "1000", "round-up=4k"), s -> py(s, """
                h.pwrite(b"a" * 1000, 0)
                h.pwrite(b"\\0" * 3096, 1000)
                print(h.pread(8, 996))
                print(expect_err("ENOSPC", lambda: h.pwrite(b"x", 2000)))
                print(expect_err("ENOSPC", lambda: h.pwrite(b"a" * 1001, 0)))
                h.zero(4096, 0)
                h.trim(2048, 2048)
                h.cache(4096, 0)
                print(h.pread(4096, 0) == b"\\0" * 4096)
                h.pwrite(b"b" * 512, 0)
                exts = []
                h.block_status(4096, 0, lambda ctx, off, e, err: exts.extend(e))
                print(exts)
                exts = []
                h.block_status(3000, 1096, lambda ctx, off, e, err: exts.extend(e))
                print(exts)
                """) + map(s));
        assertTrue(out.contains("bytearray(b'aaaa\\x00\\x00\\x00\\x00')"), out);
        assertTrue(out.contains("ENOSPC\nENOSPC\nTrue"), out);
    }

    /** The write error is logged with nbdkit's message. */
    @Test
    void writeErrorMessage() {
        String msgs = same(args("--filter=truncate", "memory", "1000", "truncate=2000"), s -> {
            py(s, "expect_err('ENOSPC', lambda: h.pwrite(b'x', 1500))\n");
            return String.join("\n", errors(s));
        });
        assertEquals("error: truncate: write beyond end of underlying device", msgs.strip());
    }

    @Test
    void flags() {
        same(args("--filter=truncate", "memory", "1000", "round-up=512"), s -> info(s));
        same(args("--filter=truncate", "-r", "memory", "1000", "truncate=10"), s -> info(s));
    }

    @Test
    void badParameters() {
        badParameter("if set, the round-up parameter must be > 0", "--filter=truncate", "memory", "1M", "round-up=0");
        badParameter("the round-up parameter must be a power of 2", "--filter=truncate", "memory", "1M", "round-up=3");
        badParameter("if set, the round-down parameter must be > 0", "--filter=truncate", "memory", "1M", "round-down=0");
        badParameter("the round-down parameter must be a power of 2", "--filter=truncate", "memory", "1M", "round-down=6k");
        badParameter("the round-up parameter is too large", "--filter=truncate", "memory", "1M", "round-up=8G");
        badParameter("could not parse size string (x)", "--filter=truncate", "memory", "1M", "truncate=x");
    }

    @Test
    void cannotRoundUp() {
        String msgs = same(args("--filter=truncate", "memory", "1000", "truncate=9223372036854775000", "round-up=4k"), s -> {
            Cmd.of("nbdinfo", s.uri()).fails();
            return String.join("\n", errors(s));
        });
        assertTrue(msgs.contains("error: cannot round size 9223372036854775000 up to next boundary of 4096"), msgs);
    }
}
