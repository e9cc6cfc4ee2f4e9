package dev.jnbdkit.it;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * nbdkit-cow-filter through real clients: writes land in the overlay and the plugin stays as it
 * was (file plugin over a read-only file, Python plugins), every parameter, and a differential
 * part that runs the same command lines under Debian's nbdkit and compares bytes, extents, flags
 * and start-up errors.
 *
 * <p>Where nbdkit 1.32 differs (not compared): it does not advertise WRITE_ZEROES (its plugin is
 * opened read-only and it passes the plugin's answer on), so zeroing is tested on ours alone; it
 * reports extents past the request (filter-ops.py clips); a trim of the whole short last block
 * stays "data" there and is "hole,zero" here.
 */
class CowFilterIT extends ItBase {
    private static final Map<String, String> NO_ENV = Map.of();
    private static final long MIB = 1 << 20;
    /** The base image: 1 MiB random, 1 MiB hole, 1 MiB + 12345 bytes random (a short last block). */
    private static final long BASE_SIZE = 3 * MIB + 12345;

    private Path base() {
        Path p = tmp.resolve("base.img");
        if (Files.exists(p)) return p;
        Random rnd = new Random(42);
        byte[] a = new byte[(int) MIB], b = new byte[(int) (MIB + 12345)];
        rnd.nextBytes(a);
        rnd.nextBytes(b);
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
            f.write(a);
            f.seek(2 * MIB);
            f.write(b);
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("r--r--r--"));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        return p;
    }

    private static byte[] read(Path p) {
        try {
            return Files.readAllBytes(p);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static List<String> cow(String... rest) {
        List<String> l = new ArrayList<>(List.of("--filter=cow"));
        l.addAll(List.of(rest));
        return l;
    }

    // ---- start-up: help, parameters, errors --------------------------------------------------

    @Test
    void helpShowsTheFilterAndItsParametersAsNbdkit() {
        String ours = runServer("--filter=cow", "memory", "1M", "--help").ok().out();
        String theirs = Cmd.of(Server.NBDKIT, "--filter=cow", "memory", "1M", "--help").ok().out();
        assertTrue(ours.contains("filter: cow (nbdkit copy-on-write (COW) filter)\n"), ours);
        assertEquals(filterHelp(theirs, "cow"), filterHelp(ours, "cow"));
    }

    /** The config help lines after "filter: NAME (...)" and its path line, up to the blank line. */
    static String filterHelp(String help, String name) {
        List<String> lines = help.lines().toList();
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).startsWith("filter: " + name + " ")) {
                StringBuilder sb = new StringBuilder();
                for (int j = i + 2; j < lines.size() && !lines.get(j).isBlank(); j++) sb.append(lines.get(j)).append('\n');
                return sb.toString();
            }
        }
        throw new AssertionError("no 'filter: " + name + "' in\n" + help);
    }

    @ParameterizedTest
    @ValueSource(strings = {"cow-block-size=3", "cow-block-size=2048", "cow-block-size=65537", "cow-block-size=4G",
            "cow-block-size=8G", "cow-block-size=abc", "cow-block-size=", "cow-on-cache=maybe", "cow-on-read=maybe",
            "cow-on-read=relative/path"})
    void badParameterExitsOneWithNbdkitsMessage(String param) {
        String err = Differential.assertSameRefusal(NO_ENV, cow("memory", "1M", param));
        assertFalse(err.isBlank(), "no error message");
    }

    @Test
    void largestBlockSizeIsAccepted() {
        for (String p : new String[] {"cow-block-size=4096", "cow-block-size=2G", "cow-on-read=/nonexistent",
                "cow-on-cache=true", "cow-on-read=yes"}) {
            runServer("-U", "-", "--filter=cow", "memory", "1M", p, "--run", "nbdinfo --size \"$uri\"").ok();
        }
    }

    @Test
    void unusableTmpdirFailsAtStartAsNbdkit() {
        String err = Differential.assertSameRefusal(Map.of("TMPDIR", "/nonexistent-tmpdir"), cow("memory", "1M"));
        assertEquals("error: mkostemp: /nonexistent-tmpdir: No such file or directory\n", err);
    }

    // ---- the overlay ---------------------------------------------------------------------------

    @Test
    void writesGoToTheOverlayAndThePluginFileStaysUnchanged() {
        Path img = base();
        byte[] before = read(img);
        Server s = unix(cow("file", img.toString()).toArray(String[]::new));
        // Unaligned, aligned, a discard, and the short last block; then read back on a new connection.
        Cmd.of("qemu-io", "-f", "raw", s.uri(),
                "-c", "write -P 0x55 1000 5000",
                "-c", "write -P 0x66 65536 131072",
                "-c", "write -P 0x77 1500000 1000",
                "-c", "discard 2097152 65536",
                "-c", "write -P 0x88 " + (BASE_SIZE - 100) + " 100").ok();
        Cmd.of("qemu-io", "-f", "raw", s.uri(),
                "-c", "read -P 0x55 1000 5000",
                "-c", "read -P 0x66 65536 131072",
                "-c", "read -P 0x77 1500000 1000",
                "-c", "read -P 0 1501000 10000",
                "-c", "read -P 0x88 " + (BASE_SIZE - 100) + " 100").ok();
        Path out = tmp.resolve("out.img");
        Cmd.of("nbdcopy", s.uri(), out.toString()).ok();
        s.stop();

        byte[] expected = before.clone();
        Arrays.fill(expected, 1000, 6000, (byte) 0x55);
        Arrays.fill(expected, 65536, 65536 + 131072, (byte) 0x66);
        Arrays.fill(expected, 1500000, 1501000, (byte) 0x77);
        Arrays.fill(expected, 2097152, 2097152 + 65536, (byte) 0);
        Arrays.fill(expected, (int) BASE_SIZE - 100, (int) BASE_SIZE, (byte) 0x88);
        assertArrayEquals(expected, read(out), "what the client reads back through the overlay");
        assertArrayEquals(before, read(img), "the plugin's file must not change");
    }

    @Test
    void readOnlyServerRefusesWritesAndServesThePlugin() {
        Path img = base();
        Server s = unix(cow("-r", "file", img.toString()).toArray(String[]::new));
        assertTrue(nbdinfoJson(s.uri()).get("exports").at(0).get("is_read_only").asBool());
        Cmd.Result w = Cmd.of("qemu-io", "-f", "raw", s.uri(), "-c", "write -P 0x55 0 512").run();
        assertTrue(w.exit() != 0 || w.out().contains("Operation not permitted") || w.err().contains("ermission")
                || w.out().contains("Permission"), "a write to a -r export must fail\n" + w);
        Path out = tmp.resolve("out.img");
        Cmd.of("nbdcopy", s.uri(), out.toString()).ok();
        s.stop();
        assertArrayEquals(read(img), read(out));
    }

    @Test
    void zeroingWholeAndPartialBlocks() {
        // nbdkit 1.32 does not advertise WRITE_ZEROES with this filter: ours alone.
        Server s = unix(cow("memory", "8M").toArray(String[]::new));
        Cmd.of("qemu-io", "-f", "raw", s.uri(),
                "-c", "write -P 0x11 0 1M",
                "-c", "write -z 0 65536",          // NO_HOLE: reads zeros, extent "zero"
                "-c", "write -z -u 65536 65536",   // MAY_TRIM: extent "hole,zero"
                "-c", "write -z 132072 1000",      // partial: read-modify-write, still data
                "-c", "read -P 0 0 131072",
                "-c", "read -P 0x11 131072 1000",
                "-c", "read -P 0 132072 1000",
                "-c", "read -P 0x11 133072 1000").ok();
        String map = Cmd.of("nbdinfo", "--map", s.uri()).ok().out();
        assertEquals(List.of("0 65536 2 zero", "65536 65536 3 hole,zero", "131072 917504 0 data",
                "1048576 7340032 3 hole,zero"), mapLines(map));
        String fast = python(resource("prelude.py") + """
                expect_err("ENOTSUP", lambda: h.zero(1000, 1048576 + 5, nbd.CMD_FLAG_FAST_ZERO))
                assert h.pread(1000, 1048576 + 5) == b"\\0" * 1000
                h.zero(65536, 4 * 65536, nbd.CMD_FLAG_FAST_ZERO)
                assert h.can_fast_zero() and h.can_zero()
                print("ok")
                """, s.uri()).ok().out();
        assertEquals("ok\n", fast);
        s.stop();
    }

    static List<String> mapLines(String map) {
        return map.lines().map(l -> l.trim().replaceAll("\\s+", " ")).filter(l -> !l.isEmpty()).toList();
    }

    @Test
    void overlayIsAnUnlinkedSparseFileInTmpdir() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("overlay-dir"));
        for (String program : List.of(Server.program(), Server.NBDKIT)) {
            Path sock = sock(Path.of(program).getFileName() + ".sock");
            List<String> argv = new ArrayList<>(List.of("/usr/bin/env", "TMPDIR=" + dir, program, "-f", "-U",
                    sock.toString(), "--filter=cow", "memory", "1G"));
            Server s = Server.startAndWait(argv, sock, 0);
            Cmd.of("qemu-io", "-f", "raw", s.uri(), "-c", "write -P 0x42 512M 64k").ok();
            try (var listing = Files.list(dir)) {
                assertEquals(0, listing.count(), program + ": the overlay must be unlinked at once");
            }
            Path overlay = null;
            try (var fds = Files.list(Path.of("/proc/" + s.pid() + "/fd"))) {
                for (Path fd : fds.toList()) {
                    String target;
                    try {
                        target = Files.readSymbolicLink(fd).toString();
                    } catch (IOException e) {
                        continue;
                    }
                    if (target.startsWith(dir.toString()) && target.endsWith(" (deleted)")) overlay = fd;
                }
            }
            assertTrue(overlay != null, program + ": no deleted file of " + dir + " held open");
            long allocated = Long.parseLong(Cmd.of("stat", "-L", "-c", "%b", overlay.toString()).ok().out().trim()) * 512;
            assertTrue(allocated >= 64 * 1024 && allocated < 4 * MIB,
                    program + ": the overlay must be sparse, " + allocated + " bytes allocated");
            s.stop();
        }
    }

    @Test
    void pythonPluginsUnderTheOverlay() {
        Path img = base();
        byte[] before = read(img);
        Path py = Server.home().resolve("examples/python");
        Server s = unix("--filter=cow", "python", py.resolve("file.py").toString(), "file=" + img, "readonly=true");
        Cmd.of("qemu-io", "-f", "raw", s.uri(), "-c", "write -P 0x5a 4000 70000", "-c", "discard 2M 64k").ok();
        Cmd.of("qemu-io", "-f", "raw", s.uri(), "-c", "read -P 0x5a 4000 70000", "-c", "read -P 0 2M 64k").ok();
        s.stop();
        assertArrayEquals(before, read(img), "the Python plugin's file must not change");

        Server r = Server.unix(sock("ramdisk"), "--filter=cow", "python", py.resolve("ramdisk.py").toString(), "size=4M",
                "cow-block-size=4k");
        Path src = randomFile("src.bin", 4 * MIB, 7), out = tmp.resolve("out.bin");
        Cmd.of("nbdcopy", src.toString(), r.uri()).ok();
        Cmd.of("nbdcopy", r.uri(), out.toString()).ok();
        r.stop();
        assertFilesEqual(src, out);
    }

    @Test
    void parallelPartialWritesKeepEveryByte() {
        // 4K random writes at queue depth 16 into 64K blocks: concurrent read-modify-writes of
        // the same blocks must not lose each other's data (fio verifies every block).
        Server s = unix(cow("memory", "256M").toArray(String[]::new));
        Cmd.of("fio", "--name=rmw", "--ioengine=nbd", "--uri=" + s.uri(), "--rw=randwrite", "--bs=4k",
                "--iodepth=16", "--size=32M", "--verify=crc32c", "--verify_state_save=0", "--do_verify=1",
                "--verify_fatal=1", "--randrepeat=1", "--output-format=normal").ok();
        Cmd.of("fio", "--name=mixed", "--ioengine=nbd", "--uri=" + s.uri(), "--rw=randrw", "--bsrange=512-128k",
                "--iodepth=16", "--size=32M", "--offset=64M", "--verify=crc32c", "--verify_state_save=0",
                "--do_verify=1", "--verify_fatal=1").ok();
        s.stop();
    }

    // ---- differential: the same command lines under nbdkit -----------------------------------

    private static final String[] OPS = {
            "flags", "e:0", "w:1000:100:7", "e:0", "r:0:4096", "t:65536:65536", "e:0", "r:65536:10",
            "t:1000:10", "r:990:30", "w:2097152:65536:9", "w:1048570:20:3", "e:0", "e:70000:100:one",
            "e:1048500:100", "e:100:100:one", "e:200000:1000000:one", "w:" + (BASE_SIZE - 10) + ":10:5",
            "r:" + (BASE_SIZE - 4096) + ":4096", "e:" + (3 * MIB), "c:0:3145728", "f", "r:0:" + BASE_SIZE, "e:0"};

    @ParameterizedTest
    @ValueSource(strings = {"", "cow-block-size=4096", "cow-block-size=1M", "cow-block-size=64k"})
    void sameBytesAndExtentsAsNbdkit(String blockSize) {
        List<String> args = cow("file", base().toString());
        if (!blockSize.isEmpty()) args.add(blockSize);
        String out = Differential.sameOps(tmp, NO_ENV, args, OPS);
        assertTrue(out.contains("e:0 [(1048576, 0), (1048576, 3), (1060921, 0)]"), out);
        Differential.sameMap(NO_ENV, args, "qemu-io -f raw -c 'write -P 1 5000 1' -c 'write -P 2 1200000 1' \"$uri\" >/dev/null");
    }

    @Test
    void cowOnReadCopiesWhatIsReadSameAsNbdkit() {
        // A block copied into the overlay is "data" in block status even where the plugin has a hole.
        Path img = base();
        String hole = "r:" + (MIB + 4096) + ":100";
        String off = Differential.sameOps(tmp, NO_ENV, cow("file", img.toString(), "cow-on-read=false"), hole, "e:0");
        assertTrue(off.contains("e:0 [(1048576, 0), (1048576, 3), (1060921, 0)]"), off);
        String on = Differential.sameOps(tmp, NO_ENV, cow("file", img.toString(), "cow-on-read=true"), hole, "e:0");
        assertTrue(on.contains("e:0 [(1114112, 0), (983040, 3), (1060921, 0)]"), on);

        Path flag = tmp.resolve("cow-on-read.flag");
        String byPath = Differential.sameOps(tmp, NO_ENV, cow("file", img.toString(), "cow-on-read=" + flag),
                hole, "e:0", "touch:" + flag, "r:" + (MIB + 5 * 65536) + ":65536", "e:0",
                "rm:" + flag, "r:" + (MIB + 9 * 65536) + ":65536", "e:0");
        // Read while the path is absent: not copied; present: copied; absent again: not copied.
        assertEquals(List.of("e:0 [(1048576, 0), (1048576, 3), (1060921, 0)]",
                "e:0 [(1048576, 0), (327680, 3), (65536, 0), (655360, 3), (1060921, 0)]",
                "e:0 [(1048576, 0), (327680, 3), (65536, 0), (655360, 3), (1060921, 0)]"),
                byPath.lines().filter(l -> l.startsWith("e:")).toList());
    }

    @Test
    void cowOnCacheCopiesPrefetchedBlocksSameAsNbdkit() {
        Path img = base();
        String cache = "c:" + (MIB + 100) + ":65536";
        String off = Differential.sameOps(tmp, NO_ENV, cow("file", img.toString()), cache, "e:0");
        assertTrue(off.contains("e:0 [(1048576, 0), (1048576, 3), (1060921, 0)]"), off);
        String on = Differential.sameOps(tmp, NO_ENV, cow("file", img.toString(), "cow-on-cache=true"), cache, "e:0",
                "r:" + MIB + ":131072");
        assertTrue(on.contains("e:0 [(1179648, 0), (917504, 3), (1060921, 0)]"), on);
    }

    @Test
    void nbdcopyThroughTheOverlaySameAsNbdkit() {
        Path src = randomFile("src.bin", 5 * MIB + 777, 3);
        String copy = "nbdcopy " + src + " \"$uri\" && nbdcopy \"$uri\" " + tmp.resolve("out-$$.bin")
                + " && cmp " + src + " " + tmp.resolve("out-$$.bin");
        String map = Differential.sameMap(NO_ENV, cow("memory", Long.toString(5 * MIB + 777)), copy);
        assertEquals(List.of("0 5243657 0 data"), mapLines(map));
    }

    @Test
    void flagsAsNbdkitExceptWriteZeroes() {
        for (List<String> args : List.of(cow("memory", "1M"), cow("-r", "memory", "1M"), cow("file", base().toString()),
                cow("null", "1M"))) {
            Differential.sameInfo(args, "is_read_only", "can_cache", "can_df", "can_flush", "can_fua",
                    "can_multi_conn", "can_trim", "is_rotational", "block_size_minimum", "block_size_preferred",
                    "block_size_maximum", "export-size");
        }
    }
}
