package dev.jnbdkit.it;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * nbdkit-swab-filter: bytes swapped in words of swab-bits, the size rounded down to a word,
 * unaligned requests refused with EINVAL, extents aligned to the word, the word as minimum block
 * size; each under both servers.
 */
class SwabFilterIT extends ItBase {
    private static final Map<String, String> NO_ENV = Map.of();
    private static final String EXTENTS = "printf \"0 3 hole,zero\\n3 13\\n16 5 hole,zero\\n21 3 zero\\n24 40 hole,zero\\n\"";

    @Test
    void helpShowsTheFilterAsNbdkit() {
        String ours = runServer("--filter=swab", "memory", "1M", "--help").ok().out();
        assertTrue(ours.contains("filter: swab (nbdkit byte-swapping filter)\n"), ours);
        String theirs = Cmd.of(Server.NBDKIT, "--filter=swab", "memory", "1M", "--help").ok().out();
        assertEquals(CowFilterIT.filterHelp(theirs, "swab"), CowFilterIT.filterHelp(ours, "swab"));
    }

    @Test
    void patternBecomesLittleEndianWith64Bits() throws Exception {
        Server s = unix("--filter=swab", "pattern", "64K", "swab-bits=64");
        Path out = tmp.resolve("out");
        Cmd.of("nbdcopy", s.uri(), out.toString()).ok();
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(out)).order(ByteOrder.LITTLE_ENDIAN);
        for (long off = 0; off < 65536; off += 8) assertEquals(off, b.getLong((int) off));
    }

    @Test
    void defaultSwapsPairsAndWritesSwapBackThroughQemuIo() throws Exception {
        Path img = tmp.resolve("disk.img");
        Files.write(img, new byte[] {1, 2, 3, 4, 5, 6, 7, 8});
        Server s = unix("--filter=swab", "file", img.toString());
        Cmd.of("qemu-io", "-f", "raw", "-c", "read -v 0 8", s.uri()).ok();
        Path out = tmp.resolve("out");
        Cmd.of("nbdcopy", s.uri(), out.toString()).ok();
        assertArrayEquals(new byte[] {2, 1, 4, 3, 6, 5, 8, 7}, Files.readAllBytes(out));
        Cmd.of("qemu-io", "-f", "raw", "-c", "write -P 0x11 0 2", s.uri()).ok();
        Cmd.of("nbdsh", "-u", s.uri(), "-c", "h.pwrite(b'\\x0a\\x0b', 2)").ok();
        assertArrayEquals(new byte[] {0x11, 0x11, 0x0b, 0x0a, 5, 6, 7, 8}, Files.readAllBytes(img));
    }

    @ParameterizedTest
    @ValueSource(strings = {"8", "16", "32", "64"})
    void bytesErrorsAndSizeAsNbdkit(String bits) {
        String out = Differential.sameOps(tmp, NO_ENV, List.of("--filter=swab", "pattern", "1003", "swab-bits=" + bits),
                "r:0:8", "r:0:1000", "r:1:8", "r:0:3", "r:8:16", "r:996:4", "e:0", "e:0:8:one", "e:1:4", "c:0:8", "c:2:3");
        if (!bits.equals("8")) assertTrue(out.contains("r:1:8 error EINVAL\n"), out);
        String[] writes = {"w:0:8:1", "w:8:16:2", "w:3:2:9", "w:2:1:9", "z:16:8", "z:5:3", "t:24:8", "t:25:8",
            "wf:32:8:3", "r:0:64", "e:0", "flags"};
        if (bits.equals("8")) {
            // The 1.34 page: swab-bits=8 "turns off the filter". nbdkit 1.32 writes garbage instead of the
            // client's data with 8 bits (its bounce buffer is never filled), so compare with no filter at all.
            assertEquals(Differential.ops(tmp, Server.NBDKIT, NO_ENV, List.of("memory", "1003"), writes),
                    Differential.ops(tmp, Server.program(), NO_ENV, List.of("--filter=swab", "memory", "1003", "swab-bits=8"), writes));
        } else {
            Differential.sameOps(tmp, NO_ENV, List.of("--filter=swab", "memory", "1003", "swab-bits=" + bits), writes);
        }
        Differential.sameInfo(List.of("--filter=swab", "memory", "1003", "swab-bits=" + bits), "export-size",
                "block_size_minimum", "block_size_preferred", "block_size_maximum", "can_trim", "can_zero", "can_fua");
    }

    @ParameterizedTest
    @ValueSource(strings = {"8", "16", "32", "64"})
    void unalignedExtentsAreAlignedAsNbdkit(String bits) {
        String map = Differential.sameMap(NO_ENV, List.of("--filter=swab", "eval", "swab-bits=" + bits, "get_size=echo 64",
                "pread=dd if=/dev/zero count=$3 iflag=count_bytes 2>/dev/null", "can_extents=exit 0", "extents=" + EXTENTS), "");
        assertTrue(map.contains("hole,zero"), map);
    }

    @ParameterizedTest
    @ValueSource(strings = {"swab-bits=3", "swab-bits=x", "swab-bits=1x", "swab-bits=-1", "swab-bits=99999999999",
            "swab-bits=", "swab-bits=0"})
    void badBitsFailAtStartAsNbdkit(String bad) {
        String err = Differential.assertSameRefusal(NO_ENV, List.of("--filter=swab", "memory", "1M", bad));
        assertTrue(err.startsWith("error: swab-bits") || err.startsWith("error: invalid swab-bits"), err);
    }

    @Test
    void hexBitsAreAccepted() {
        Differential.sameInfo(List.of("--filter=swab", "memory", "1003", "swab-bits=0x20"), "export-size", "block_size_minimum");
    }
}
