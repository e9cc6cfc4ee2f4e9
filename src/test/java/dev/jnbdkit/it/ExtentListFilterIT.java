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
 * nbdkit-extentlist-filter: block status from the list file (any order, gaps and the tail as
 * hole+zero, integer or word types, extra fields ignored), the file's errors at start, each under
 * both servers.
 */
class ExtentListFilterIT extends ItBase {
    private static final Map<String, String> NO_ENV = Map.of();

    private Path list(String text) throws Exception {
        Path p = Files.createTempFile(tmp, "list", ".txt");
        Files.writeString(p, text);
        return p;
    }

    private List<String> args(Path list) {
        return List.of("--filter=extentlist", "memory", "4M", "extentlist=" + list);
    }

    @Test
    void helpShowsTheFilterAsNbdkit() {
        String ours = runServer("--filter=extentlist", "memory", "1M", "--help").ok().out();
        assertTrue(ours.contains("filter: extentlist (nbdkit extentlist filter)\n"), ours);
        String theirs = Cmd.of(Server.NBDKIT, "--filter=extentlist", "memory", "1M", "--help").ok().out();
        assertEquals(CowFilterIT.filterHelp(theirs, "extentlist"), CowFilterIT.filterHelp(ours, "extentlist"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"0 1M\n", "1M 1M\n0 1M\n", "0  1M\n1M 9M  hole,zero\n", "1M 512K\n1536K 512K\n",
            "0 1M 2\n1M 1M 2\n", "0 1M 0x2\n", "0 1M 1 junk\n", "0 1M ,zero\n", "0 1M hole,\n", "0 1M zero2\n",
            "0 1M 7\n", "0 1M -1\n", "0 1M hole zero\n", "0\t1M\tzero\n", "  2M   1M   2  \n5M 1M\n", "",
            "0 1M zero,hole\n2M 0 \n", "3M 2M\n", "0 1s\n1k 1k 1\n4k 4k hole,zero\n12k 1\n", "0 1M 1x\n"})
    void mapsAsNbdkit(String text) throws Exception {
        Differential.sameMap(NO_ENV, args(list(text)), "");
    }

    @Test
    void requestsInsideTheListAsNbdkit() throws Exception {
        Path l = list("1M 1M\n0 4096 hole\n8192 4096 zero\n12288 4k hole,zero\n3M 1M 3\n2M 100\n");
        String out = Differential.sameOps(tmp, NO_ENV, args(l), "e:0", "e:0:4096:one", "e:100:9000", "e:4096:8192:one",
                "e:2097000:1000", "e:2097152:100:one", "e:3000000", "w:0:4096:1", "e:0:8192", "r:0:8192", "flags");
        assertTrue(out.contains("e:0:4096:one [(4096, 1)]"), out);
        String map = "qemu-img map -f raw --output=json \"$nbd\"";
        String ours = Differential.captive(Server.program(), NO_ENV, args(l), map).out();
        assertEquals(Differential.captive(Server.NBDKIT, NO_ENV, args(l), map).out(), ours);
        assertTrue(ours.contains("\"data\": false") && ours.contains("\"data\": true"), ours);
    }

    @ParameterizedTest
    @ValueSource(strings = {"0 1M\n512K 1M\n", "0 1x\n", "0 1M\r\n", "\n0 1M\n", " \n", "0\n", "# comment\n",
            "0 0x1000\n", "1M 1M\n0 2M\n"})
    void badListsFailAtStartAsNbdkit(String text) throws Exception {
        Path l = list(text);
        String err = Differential.assertSameRefusal(NO_ENV, args(l));
        assertTrue(err.startsWith("error: "), err);
    }

    @Test
    void missingParameterOrFileFailsAsNbdkit() {
        assertEquals("error: you must supply the extentlist parameter on the command line\n",
                Differential.assertSameRefusal(NO_ENV, List.of("--filter=extentlist", "memory", "1M")));
        Differential.assertSameRefusal(NO_ENV, List.of("--filter=extentlist", "memory", "1M", "extentlist=" + tmp.resolve("none")));
    }
}
