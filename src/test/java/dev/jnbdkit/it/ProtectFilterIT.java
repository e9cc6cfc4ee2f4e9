package dev.jnbdkit.it;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * nbdkit-protect-filter: writes, zeroes and trims that change protected bytes fail with EPERM
 * and nbdkit's error line, identical data passes; ranges, open ends, complements, overlapping
 * ranges and bad ranges, each under both servers.
 */
class ProtectFilterIT extends ItBase {
    private static final Map<String, String> NO_ENV = Map.of();
    /** 64K with 1 2 3 at 1000, the rest zero. */
    private static final List<String> DATA = List.of("--filter=protect", "data", "@1000 1 2 3", "size=64K");

    private static List<String> with(String... protect) {
        List<String> a = new java.util.ArrayList<>(DATA);
        a.addAll(List.of(protect));
        return a;
    }

    @Test
    void helpShowsTheFilterAsNbdkit() {
        String ours = runServer("--filter=protect", "memory", "1M", "--help").ok().out();
        assertTrue(ours.contains("filter: protect (nbdkit protect filter)\n"), ours);
        String theirs = Cmd.of(Server.NBDKIT, "--filter=protect", "memory", "1M", "--help").ok().out();
        assertEquals(CowFilterIT.filterHelp(theirs, "protect"), CowFilterIT.filterHelp(ours, "protect"));
    }

    @Test
    void changesToProtectedBytesFailWithEpermAsNbdkit() {
        String out = Differential.sameOps(tmp, NO_ENV, with("protect=0-200", "protect=990-1001", "protect=~0-50000"),
                "w:100:10:0", "w:100:10:97", "w:195:10:0", "w:300:10:97", "r:0:65536",
                "z:100:10", "z:995:10", "t:100:10", "t:995:10", "z:2000:10", "w:50000:1:0", "w:50001:1:5",
                "w:1001:1:3", "w:1001:1:4", "flags", "r:0:65536");
        assertTrue(out.contains("w:100:10:97 error EPERM\n"), out);
        assertTrue(out.contains("z:995:10 error EPERM\n") && out.contains("t:995:10 error EPERM\n"), out);
        assertTrue(out.contains("w:50001:1:5 error EPERM\n") && !out.contains("w:100:10:0 error"), out);
    }

    @Test
    void openEndsAndOverlapsAsNbdkit() {
        String[] ops = {"w:0:1:1", "w:100:1:1", "w:300:1:1", "w:500:1:1", "w:60000:1:1", "r:0:65536"};
        for (List<String> p : List.of(List.of("protect=-0xc8"), List.of("protect=~0x100-"), List.of("protect=200-"),
                List.of("protect=0-200", "protect=100-400"), List.of("protect=100-400", "protect=0-200"),
                List.of("protect=0-200", "protect=201-400"), List.of("protect=0-100000"), List.of("protect=0310-0310"))) {
            Differential.sameOps(tmp, NO_ENV, with(p.toArray(String[]::new)), ops);
        }
    }

    /** The error line names the range as the parameter gave it (for merged ranges, the first). */
    @Test
    void errorLineNamesTheRangeAsNbdkit() {
        List<String> args = with("protect=100-400", "protect=0-200", "protect=~-0x8000");
        String script = Clients.PYTHON + " " + Differential.opsScript(tmp) + " \"$uri\" w:300:1:9 w:40000:1:9";
        Clients.requirePythonNbd();
        List<String> ours = errorLines(Differential.captive(Server.program(), NO_ENV, args, script).err());
        List<String> theirs = errorLines(Differential.captive(Server.NBDKIT, NO_ENV, args, script).err());
        assertEquals(theirs, ours);
        assertEquals(List.of("error: protect filter prevented write to protected range 0-200",
                "error: protect filter prevented write to protected range ~-0x8000"), ours);
    }

    private static List<String> errorLines(String err) {
        return err.lines().filter(l -> l.contains("error: ")).map(l -> l.substring(l.indexOf("error: "))).toList();
    }

    @Test
    void qemuIoSeesOperationNotPermitted() {
        Server s = unix("--filter=protect", "memory", "1M", "protect=0-511");
        Cmd.Result r = Cmd.of("qemu-io", "-f", "raw", "-c", "write -P 0x55 0 512", s.uri()).mergeOutput().run();
        assertTrue(r.out().contains("Operation not permitted"), r.out());
        Cmd.of("qemu-io", "-f", "raw", "-c", "write -P 0 0 512", "-c", "write -P 0x55 512 512",
                "-c", "read -P 0x55 512 512", "-c", "read -P 0 0 512", s.uri()).ok();
    }

    @ParameterizedTest
    @ValueSource(strings = {"protect=5-2", "protect=x", "protect=5", "protect=~5", "protect=1x-2", "protect=-1-5",
            "protect=0-99999999999999999999", "protect=2-1M", "protect=0--5", "protect=~9-3"})
    void badRangesFailAtStartAsNbdkit(String bad) {
        String err = Differential.assertSameRefusal(NO_ENV, List.of("--filter=protect", "memory", "1M", bad));
        assertTrue(err.startsWith("error: "), err);
    }
}
