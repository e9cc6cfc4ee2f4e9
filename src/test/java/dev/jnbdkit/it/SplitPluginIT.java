package dev.jnbdkit.it;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code split}: several files as one disk, through real clients and side by side with nbdkit. */
class SplitPluginIT extends ItBase {

    private Path[] parts() {
        Path a = randomFile("a", 100_000, 1);
        Path b = file("b", 0);
        Path c = file("c", 1 << 20); // sparse: a hole in the middle of the disk
        Path d = randomFile("d", 70_001, 2);
        return new Path[] {a, b, c, d};
    }

    private static String[] args(Path... files) {
        String[] a = new String[files.length + 1];
        a[0] = "split";
        for (int i = 0; i < files.length; i++) a[i + 1] = files[i].toString();
        return a;
    }

    @Test
    void sameDiskAsNbdkit() {
        Path[] p = parts();
        PluginDiff.Seen s = PluginDiff.assertSameDisk(tmp, args(p));
        assertEquals(100_000 + (1 << 20) + 70_001, s.size());
        PluginDiff.assertSameDisk(tmp, "split", "file=" + p[0], "file=" + p[3]);
    }

    @Test
    void readsAndWritesCrossFileBoundaries() throws IOException {
        Path[] p = parts();
        Server s = unix(args(p));
        Path whole = tmp.resolve("whole");
        Cmd.of("nbdcopy", s.uri(), whole.toString()).ok();
        byte[] want = concat(p);
        assertArrayEquals(want, Files.readAllBytes(whole));
        // a write across a, (empty) b and c lands in both files
        Cmd.of("nbdsh", "-u", s.uri(), "-c", "h.pwrite(b'\\xee' * 1000, 99_500); h.zero(10, 99_990)").ok();
        byte[] a = Files.readAllBytes(p[0]);
        byte[] c = Files.readAllBytes(p[2]);
        assertEquals((byte) 0xee, a[99_500]);
        assertEquals(0, a[99_995]);
        assertEquals((byte) 0xee, c[499]);
        assertEquals(0, c[500]);
        s.stop();
        Server ro = unix("-r", "split", p[0].toString(), p[3].toString());
        assertTrue(Cmd.of("nbdsh", "-u", ro.uri(), "-c", "h.pwrite(b'x', 0)").run().exit() != 0);
    }

    @Test
    void capabilitiesAsNbdkit() {
        Path[] p = parts();
        PluginDiff.assertSameScript(tmp, resource("data/caps.py"), args(p));
        String dump = runServer("split", "--dump-plugin").ok().out();
        assertTrue(dump.contains("\nthread_model=serialize_requests\n"), dump);
        assertTrue(dump.contains("\nmagic_config_key=file\n"), dump);
    }

    @Test
    void badFilesAreRefused() {
        assertEquals("error: realpath: nonexist: No such file or directory\n", Differential.assertSameRefusal("split", "nonexist"));
        Differential.assertSameRefusal("split", "foo=bar");
    }

    private static byte[] concat(Path... files) throws IOException {
        var out = new java.io.ByteArrayOutputStream();
        for (Path f : files) out.write(Files.readAllBytes(f));
        return out.toByteArray();
    }
}
