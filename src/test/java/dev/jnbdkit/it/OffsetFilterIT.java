package dev.jnbdkit.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jnbdkit.it.Server.Impl;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** nbdkit-offset-filter through real clients, differential against nbdkit. */
class OffsetFilterIT extends FilterItBase {
    static final long M = 1 << 20;

    /** The bytes, extents, writes and out-of-range errors of offset=1M range=2M over a file. */
    @Test
    void offsetAndRange() throws Exception {
        Path image = sparse("disk.img", 4 * M, 0, 64 << 10, M + 4096, 8192, 2 * M + 512 * 1024, 4096, 3 * M + 5, 100);
        byte[] original = Files.readAllBytes(image);
        String out = same(impl -> args("--filter=offset", "file", copy(image, impl).toString(), "offset=1M", "range=2M"), s -> {
            String map = map(s);
            String data = py(s, """
                    import hashlib
                    print(size)
                    print(hashlib.sha256(h.pread(size, 0)).hexdigest())
                    h.pwrite(b"X" * 512, 0)
                    h.pwrite(b"Y" * 512, size - 512, nbd.CMD_FLAG_FUA)
                    h.zero(4096, 8192)
                    print(h.pread(4, 0), h.pread(4, size - 4), h.pread(4, 8192))
                    print(expect_err("EINVAL", lambda: h.pread(1, size)))
                    print(expect_err("ENOSPC", lambda: h.pwrite(b"z", size)))
                    """);
            return map + data;
        });
        String[] lines = out.split("\n");
        assertTrue(out.contains(String.valueOf(2 * M)), out);
        // The served bytes are the file's [1M, 3M).
        String want = Differential.sha256(Arrays.copyOfRange(original, (int) M, (int) (3 * M)));
        assertTrue(out.contains(want), "served data is not the file's [1M, 3M)\n" + out);
        assertTrue(out.contains("bytearray(b'XXXX') bytearray(b'YYYY') bytearray(b'\\x00\\x00\\x00\\x00')"), out);
        // Extents are moved by the offset: data at 4096 (file's 1M+4096) and at 1M+512K.
        assertTrue(lines[0].matches("\\s*0\\s+4096\\s+3\\s+hole,zero"), out);
        assertTrue(out.contains("EINVAL") && out.contains("ENOSPC"), out);
    }

    /** The writes land in the file at offset + x, and nothing outside the range changes. */
    @Test
    void writesLandAtTheOffset() throws Exception {
        Path image = sparse("w.img", 2 * M);
        for (Impl impl : Impl.values()) {
            Path c = copy(image, impl);
            Server s = start(impl, args("--filter=offset", "file", c.toString(), "offset=4096", "range=8192"));
            py(s, "h.pwrite(b'A' * 8192, 0)\nh.flush()\n");
            s.stop();
            byte[] b = Files.readAllBytes(c);
            for (int i = 0; i < b.length; i++) {
                byte wantByte = (i >= 4096 && i < 4096 + 8192) ? (byte) 'A' : 0;
                if (b[i] != wantByte) throw new AssertionError(impl + ": byte " + i + " is " + b[i]);
            }
        }
    }

    /** Flags and size of the export (nbdinfo --json), and the range check when opening. */
    @Test
    void flagsAndTooLarge() {
        same(args("--filter=offset", "memory", "1M", "offset=512K"), s -> info(s));
        for (String[] bad : new String[][] {{"range=2M"}, {"offset=2M"}, {"offset=512K", "range=1M"}}) {
            Map2 m = new Map2();
            each(args(concat(new String[] {"--filter=offset", "memory", "1M"}, bad)), s -> {
                Cmd.Result r = Cmd.of("nbdinfo", s.uri()).run();
                assertTrue(r.exit() != 0, r.toString());
                m.add(String.join("\n", errors(s)));
                return "";
            });
            assertEquals(m.a, m.b, "error messages differ");
            assertTrue(m.a.contains("is larger than the real size (1048576) of the underlying file or device"), m.a);
        }
    }

    @Test
    void badParameters() {
        badParameter("could not parse size string (foo)", "--filter=offset", "memory", "1M", "offset=foo");
        badParameter("could not parse size string (x)", "--filter=offset", "memory", "1M", "range=x");
    }

    /** Two values from the two servers, in order. */
    static final class Map2 {
        String a, b;

        void add(String v) { if (a == null) a = v; else b = v; }
    }

    static String[] concat(String[] a, String[] b) {
        String[] r = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
