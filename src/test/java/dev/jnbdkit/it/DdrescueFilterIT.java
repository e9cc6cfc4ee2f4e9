package dev.jnbdkit.it;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * nbdkit-ddrescue-filter: reads inside one finished ('+') block of the mapfile return the plugin's
 * bytes, every other read fails with EIO; the export is read-only; each under both servers.
 */
class DdrescueFilterIT extends ItBase {
    private static final Map<String, String> NO_ENV = Map.of();
    private static final String MAP = """
            # Mapfile. Created by GNU ddrescue version 1.25
            # Command line: ddrescue /dev/sdb disk.img disk.map
            # current_pos  current_status  current_pass
            0x00000000     +               1
            #      pos        size  status
            0x00000000  0x00001000  +
            0x00001000  0x00000200  -
            0x00001200  0x00000E00  /
            0x00002000  0x00001000  *
            0x00003000  0x0000D000  +
            """;
    private static final String[] READS = {"r:0:4096", "r:4096:512", "r:4000:200", "r:4608:512", "r:4608:3584",
        "r:8192:16", "r:12288:4096", "r:65535:1", "r:0:65536", "r:61440:4096", "flags", "e:0"};

    private Path map(String text) throws Exception {
        Path p = Files.createTempFile(tmp, "disk", ".map");
        Files.writeString(p, text);
        return p;
    }

    @Test
    void helpShowsTheFilterAsNbdkit() {
        String ours = runServer("--filter=ddrescue", "memory", "1M", "--help").ok().out();
        assertTrue(ours.contains("filter: ddrescue (nbdkit ddrescue mapfile filter)\n"), ours);
        String theirs = Cmd.of(Server.NBDKIT, "--filter=ddrescue", "memory", "1M", "--help").ok().out();
        assertEquals(CowFilterIT.filterHelp(theirs, "ddrescue"), CowFilterIT.filterHelp(ours, "ddrescue"));
    }

    @Test
    void badAreasReadAsEioAsNbdkit() throws Exception {
        String out = Differential.sameOps(tmp, NO_ENV, List.of("--filter=ddrescue", "pattern", "64K",
                "ddrescue-mapfile=" + map(MAP)), READS);
        assertTrue(out.contains("r:4096:512 error EIO\n") && out.contains("r:0:4096 ") && !out.contains("r:0:4096 error"), out);
        assertTrue(out.contains("'write': False"), out);
    }

    @ParameterizedTest
    @ValueSource(strings = {"0x0 +\n0 0x1000 ?\n0x1000 0x1000 +\n", "0x0 +\n4096 512 -\n", "0x0 +\n", "",
            "0x0 +\nfoo\n0x1000 0x200 -\n", "0x1000 0x1000 +\n", "0x0 +\n4096 4096 +\n", "0x0 + 1\n0x1000 0x1000 +\n",
            "# x\n0x0 ? 1\n0x0 0x1000 +\n0X1000 0x1000 +\n", "0x0 +\n 0x1000   0x1000   +  \n", "0x0 +\n0x1000 0x1000 +x\n",
            "0x0 +\n0x0 0x10000 +\n0x1000 0x200 -\n", "0x0 +\n010 0x1000 +\n", "0x0 +\n0x0 0x1000 + # c\n",
            "0x0 +\n\n0x0 0x1000 +\n"})
    void mapfileVariantsAsNbdkit(String text) throws Exception {
        Differential.sameOps(tmp, NO_ENV, List.of("--filter=ddrescue", "pattern", "64K", "ddrescue-mapfile=" + map(text)), READS);
    }

    @Test
    void withoutMapfileNothingIsReadableAsNbdkit() {
        Differential.sameOps(tmp, NO_ENV, List.of("--filter=ddrescue", "pattern", "64K"), READS);
    }

    @Test
    void qemuImgConvertFailsOnABadAreaAndCopiesARescuedOne() throws Exception {
        Path m = map(MAP);
        Server s = unix("--filter=ddrescue", "pattern", "64K", "ddrescue-mapfile=" + m);
        Cmd.of("qemu-img", "convert", "-f", "raw", "-O", "raw", s.uri(), tmp.resolve("out").toString()).fails();
        Cmd.of("qemu-io", "-r", "-f", "raw", "-c", "read 12288 4096", s.uri()).ok();
    }

    @Test
    void missingMapfileFailsAsNbdkit() {
        assertTrue(Differential.assertSameRefusal(NO_ENV, List.of("--filter=ddrescue", "memory", "1M",
                "ddrescue-mapfile=" + tmp.resolve("none"))).contains("ddrescue: fopen: No such file or directory"));
    }
}
