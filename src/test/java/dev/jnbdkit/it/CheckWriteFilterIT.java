package dev.jnbdkit.it;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * nbdkit-checkwrite-filter: writes, zeroes and trims become checks against what the plugin holds
 * (EIO and nbdkit's error line on a mismatch), the plugin is never written, and a copy of the
 * export onto itself succeeds (nbdcopy, qemu-img convert), each under both servers.
 */
class CheckWriteFilterIT extends ItBase {
    private static final Map<String, String> NO_ENV = Map.of();
    private static final List<String> DATA = List.of("--filter=checkwrite", "data", "@1000 1 2 3 @32768 9*100", "size=64K");

    @Test
    void helpShowsTheFilterAsNbdkit() {
        String ours = runServer("--filter=checkwrite", "memory", "1M", "--help").ok().out();
        assertTrue(ours.contains("filter: checkwrite (nbdkit checkwrite filter)\n"), ours);
        String theirs = Cmd.of(Server.NBDKIT, "--filter=checkwrite", "memory", "1M", "--help").ok().out();
        assertEquals(CowFilterIT.filterHelp(theirs, "checkwrite"), CowFilterIT.filterHelp(ours, "checkwrite"));
    }

    @Test
    void mismatchesFailWithEioAsNbdkit() {
        String out = Differential.sameOps(tmp, NO_ENV, DATA, "flags",
                "w:1000:1:1", "w:1001:1:1", "w:32768:100:9", "w:32768:101:9", "wf:0:100:0", "w:0:100:7",
                "z:0:1000", "z:0:1001", "z:1003:31765:trim", "t:0:1000", "t:32000:1000", "f", "c:0:65536",
                "r:0:65536", "e:0");
        assertTrue(out.contains("w:1001:1:1 error EIO\n") && out.contains("z:0:1001 error EIO\n")
                && out.contains("t:32000:1000 error EIO\n") && !out.contains("z:1003:31765:trim error"), out);
    }

    @Test
    void fastZeroIsRefusedWithoutALogLineAsNbdkit() {
        String script = Clients.PYTHON + " -c 'import nbd,sys\nh=nbd.NBD()\nh.connect_uri(sys.argv[1])\n"
                + "try:\n  h.zero(10, 0, nbd.CMD_FLAG_FAST_ZERO)\nexcept nbd.Error as e:\n  print(e.errno)\n' \"$uri\"";
        Clients.requirePythonNbd();
        Cmd.Result ours = Differential.captive(Server.program(), NO_ENV, DATA, script);
        Cmd.Result theirs = Differential.captive(Server.NBDKIT, NO_ENV, DATA, script);
        assertEquals("ENOTSUP\n", ours.out());
        assertEquals(theirs.out(), ours.out());
        assertEquals(theirs.err().contains("error:"), ours.err().contains("error:"), ours.err());
    }

    @Test
    void errorLineAsNbdkit() {
        String script = Clients.PYTHON + " " + Differential.opsScript(tmp) + " \"$uri\" w:0:1:1 t:32768:1";
        Clients.requirePythonNbd();
        List<String> ours = errorLines(Differential.captive(Server.program(), NO_ENV, DATA, script).err());
        assertEquals(errorLines(Differential.captive(Server.NBDKIT, NO_ENV, DATA, script).err()), ours);
        assertEquals(List.of("error: data written does not match expected", "error: data written does not match expected"), ours);
    }

    private static List<String> errorLines(String err) {
        return err.lines().filter(l -> l.contains("error: ")).map(l -> l.substring(l.indexOf("error: "))).toList();
    }

    @Test
    void copyingOntoItselfPassesAndThePluginIsNotWritten() throws Exception {
        java.nio.file.Path img = tmp.resolve("disk.img");
        byte[] b = new byte[4 << 20];
        new java.util.Random(7).nextBytes(b);
        java.util.Arrays.fill(b, 1 << 20, 3 << 20, (byte) 0);
        java.nio.file.Files.write(img, b);
        for (String program : List.of(Server.program(), Server.NBDKIT)) {
            Differential.captive(program, NO_ENV, List.of("--filter=checkwrite", "file", img.toString()),
                    "nbdcopy \"$uri\" \"$uri\" && qemu-img convert -n -f raw -O raw \"$nbd\" \"$nbd\"");
            // A copy from elsewhere that differs is caught: nbdcopy fails.
            Cmd.Result r = Cmd.of(program, "-U", "-", "--filter=checkwrite", "file", img.toString(), "--run",
                    "nbdcopy -- [ nbdkit pattern 4M ] \"$uri\"").run();
            assertTrue(r.exit() != 0, program + " accepted a differing copy\n" + r.err());
        }
        assertTrue(java.util.Arrays.equals(b, java.nio.file.Files.readAllBytes(img)), "the file was written");
    }
}
