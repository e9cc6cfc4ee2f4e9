package dev.jnbdkit.plugins.file;

import dev.jnbdkit.plugins.TestIo;
import dev.jnbdkit.plugins.TestIo.E;
import dev.jnbdkit.spi.CacheMode;
import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.Export;
import dev.jnbdkit.spi.Extent;
import dev.jnbdkit.spi.Flags;
import dev.jnbdkit.spi.FuaMode;
import dev.jnbdkit.spi.Handle;
import dev.jnbdkit.spi.OpenContext;
import dev.jnbdkit.spi.PluginException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FilePluginTest {
    static final OpenContext RW = new OpenContext(false, "", false);
    static final OpenContext RO = new OpenContext(true, "", false);
    static final int HOLE_ZERO = Extent.HOLE | Extent.ZERO;

    @TempDir Path tmp;

    static FilePlugin plugin(String... kv) {
        FilePlugin p = new FilePlugin();
        p.load();
        for (String a : kv) {
            int eq = a.indexOf('=');
            if (eq < 0) p.config(p.magicConfigKey(), a); else p.config(a.substring(0, eq), a.substring(eq + 1));
        }
        p.configComplete();
        p.getReady();
        return p;
    }

    /** A sparse file of {@code size} bytes. */
    static Path sparse(Path dir, String name, long size) throws IOException {
        Path f = dir.resolve(name);
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.setLength(size);
        }
        return f;
    }

    static byte[] filled(int n, int v) {
        byte[] b = new byte[n];
        Arrays.fill(b, (byte) v);
        return b;
    }

    @Test
    void parameters() throws IOException {
        FilePlugin unset = new FilePlugin();
        assertEquals("file", unset.magicConfigKey());
        assertEquals("you must supply either [file=]<FILENAME> or dir=<DIRNAME> parameter after the plugin "
                + "name on the command line", assertThrows(PluginException.class, unset::configComplete).getMessage());
        PluginException e = assertThrows(PluginException.class, () -> new FilePlugin().config("file", "/nonexistent/x.img"));
        assertEquals("realpath: /nonexistent/x.img: No such file or directory", e.getMessage());
        assertEquals(Errno.ENOENT, e.errno());
        assertEquals("unknown cache mode: bogus",
                assertThrows(PluginException.class, () -> unset.config("cache", "bogus")).getMessage());
        assertEquals("unknown fadvise mode: bogus",
                assertThrows(PluginException.class, () -> unset.config("fadvise", "bogus")).getMessage());
        assertEquals("unknown parameter 'foo'",
                assertThrows(PluginException.class, () -> unset.config("foo", "1")).getMessage());
        Path f = sparse(tmp, "a.img", 4096);
        FilePlugin p = new FilePlugin();
        p.config("file", f.toString());
        // nbdkit 1.34: file, dir (directory), fd and dirfd exclude each other and appear once
        // (nbdkit 1.32 let a second file= win and only refused file= with dir=)
        for (String[] kv : new String[][] {{"dir", tmp.toString()}, {"directory", tmp.toString()},
                {"file", f.toString()}, {"fd", "7"}, {"dirfd", "7"}}) {
            assertEquals("file|dir|fd|dirfd parameter can only appear once on the command line",
                    assertThrows(PluginException.class, () -> p.config(kv[0], kv[1])).getMessage(), kv[0]);
        }
        FilePlugin q = new FilePlugin();
        q.config("file", tmp.toString());
        assertEquals("use dir= to serve files within " + tmp.toRealPath(),
                assertThrows(PluginException.class, q::configComplete).getMessage());
        FilePlugin d = new FilePlugin();
        d.config("directory", f.toString());
        assertEquals("expecting a directory: " + f.toRealPath(),
                assertThrows(PluginException.class, d::configComplete).getMessage());
    }

    @Test
    void descriptorParameters() {
        for (String k : new String[] {"fd", "dirfd"}) {
            for (String low : new String[] {"0", "1", "2", "-1"}) {
                assertEquals("file descriptor must be > 2 because stdin, stdout and stderr are reserved for nbdkit",
                        assertThrows(PluginException.class, () -> new FilePlugin().config(k, low)).getMessage());
            }
            assertEquals(k + ": could not parse number: \"x\"",
                    assertThrows(PluginException.class, () -> new FilePlugin().config(k, "x")).getMessage());
        }
        // a descriptor that is not open (nbdkit's fstat fails the same check)
        FilePlugin fd = new FilePlugin();
        fd.config("fd", "1000");
        assertEquals("fd is not regular or block device",
                assertThrows(PluginException.class, fd::configComplete).getMessage());
        FilePlugin dirfd = new FilePlugin();
        dirfd.config("dirfd", "1000");
        assertEquals("dirfd is not a directory",
                assertThrows(PluginException.class, dirfd::configComplete).getMessage());
    }

    @Test
    void relativePathsAreResolvedAtConfigTime() throws IOException {
        Path f = sparse(tmp, "rel.img", 8192);
        Path rel = Path.of("").toAbsolutePath().relativize(f);
        FilePlugin p = plugin(rel.toString());
        Handle h = p.open(RW);
        try {
            assertEquals(8192, h.getSize());
        } finally {
            h.close();
        }
    }

    @Test
    void readWriteFlushAndCapabilities() throws IOException {
        Path f = sparse(tmp, "disk.img", 1 << 20);
        FilePlugin p = plugin("file=" + f, "fadvise=random");
        Handle h = p.open(RW);
        try {
            assertEquals(1 << 20, h.getSize());
            assertTrue(h.canWrite());
            assertTrue(h.canFlush() && h.canTrim() && h.canZero() && h.canFastZero() && h.canMultiConn());
            assertTrue(h.canExtents());
            assertEquals(FuaMode.NATIVE, h.canFua());
            assertEquals(CacheMode.NATIVE, h.canCache());
            byte[] data = new byte[100_000];
            new java.util.Random(1).nextBytes(data);
            TestIo.write(h, 12345, data, Flags.FUA);
            h.flush(0);
            h.cache(1 << 20, 0, 0);
            assertArrayEquals(data, TestIo.read(h, 12345, data.length));
            byte[] onDisk = Files.readAllBytes(f);
            assertArrayEquals(data, Arrays.copyOfRange(onDisk, 12345, 12345 + data.length));
            assertArrayEquals(new byte[100], TestIo.read(h, 0, 100));
        } finally {
            h.close();
        }
    }

    @Test
    void readPastEndOfFileIsEio() throws IOException {
        Path f = sparse(tmp, "short.img", 1000);
        Handle h = plugin(f.toString()).open(RW);
        try {
            PluginException e = assertThrows(PluginException.class, () -> TestIo.read(h, 900, 200));
            assertEquals(Errno.EIO, e.errno());
        } finally {
            h.close();
        }
    }

    @Test
    void extentsOfASparseFile() throws IOException {
        Path f = sparse(tmp, "sparse.img", 1 << 20);
        Handle h = plugin(f.toString()).open(RW);
        try {
            assertEquals(List.of(new E(0, 1 << 20, HOLE_ZERO)), TestIo.extents(h, 0, 1 << 20, 0));
            TestIo.write(h, 256 << 10, filled(64 << 10, 7));
            assertEquals(List.of(new E(0, 256 << 10, HOLE_ZERO), new E(256 << 10, 64 << 10, Extent.DATA),
                    new E(320 << 10, (1 << 20) - (320 << 10), HOLE_ZERO)), TestIo.extents(h, 0, 1 << 20, 0));
            assertEquals(List.of(new E(4096, (256 << 10) - 4096, HOLE_ZERO)),
                    TestIo.extents(h, 4096, 1 << 20, Flags.REQ_ONE));
            assertEquals(List.of(new E((256 << 10) + 10, (64 << 10) - 10, Extent.DATA)),
                    TestIo.extents(h, (256 << 10) + 10, 100, Flags.REQ_ONE));
        } finally {
            h.close();
        }
    }

    @Test
    void trimPunchesHolesAndZeroZeros() throws IOException {
        Path f = tmp.resolve("full.img");
        Files.write(f, filled(1 << 20, 1));
        Handle h = plugin(f.toString()).open(RW);
        try {
            assertEquals(List.of(new E(0, 1 << 20, Extent.DATA)), TestIo.extents(h, 0, 1 << 20, 0));
            h.trim(256 << 10, 256 << 10, Flags.FUA);
            assertArrayEquals(new byte[256 << 10], TestIo.read(h, 256 << 10, 256 << 10));
            assertEquals(new E(256 << 10, 256 << 10, HOLE_ZERO), TestIo.extents(h, 0, 1 << 20, 0).get(1));
            // zero without MAY_TRIM: reads zeros, stays allocated
            h.zero(64 << 10, 0, 0);
            assertArrayEquals(new byte[64 << 10], TestIo.read(h, 0, 64 << 10));
            assertEquals(Extent.DATA, TestIo.extents(h, 0, 1 << 20, Flags.REQ_ONE).getFirst().type());
            // zero with MAY_TRIM: reads zeros, may become a hole
            h.zero(64 << 10, 768 << 10, Flags.MAY_TRIM | Flags.FUA);
            assertArrayEquals(new byte[64 << 10], TestIo.read(h, 768 << 10, 64 << 10));
            // fast zero on a regular file is honoured
            h.zero(100, 900 << 10, Flags.FAST_ZERO);
            assertArrayEquals(new byte[100], TestIo.read(h, 900 << 10, 100));
            // and the untouched parts are intact
            assertArrayEquals(filled(1000, 1), TestIo.read(h, 128 << 10, 1000));
            assertArrayEquals(filled(1000, 1), TestIo.read(h, (1 << 20) - 1000, 1000));
        } finally {
            h.close();
        }
    }

    @Test
    void readonlyServerGivesReadonlyHandle() throws IOException {
        Path f = sparse(tmp, "ro.img", 4096);
        Handle h = plugin(f.toString()).open(RO);
        try {
            assertFalse(h.canWrite());
            assertArrayEquals(new byte[10], TestIo.read(h, 0, 10));
            PluginException e = assertThrows(PluginException.class, () -> TestIo.write(h, 0, new byte[1]));
            assertEquals(Errno.EBADF, e.errno());
        } finally {
            h.close();
        }
    }

    @Test
    void unwritableFileGivesReadonlyExport() throws Exception {
        Path f = sparse(tmp, "immutable.img", 4096);
        boolean root = "root".equals(System.getProperty("user.name"));
        if (root) {
            // root ignores permissions: make the file immutable instead (ext4, xfs, btrfs)
            Process pr = new ProcessBuilder("chattr", "+i", f.toString()).redirectErrorStream(true).start();
            assertTrue(pr.waitFor() == 0, "chattr +i not possible here");
        } else {
            Files.setPosixFilePermissions(f, java.nio.file.attribute.PosixFilePermissions.fromString("r--r--r--"));
        }
        try {
            Handle h = plugin(f.toString()).open(RW);
            try {
                assertFalse(h.canWrite());
                assertArrayEquals(new byte[10], TestIo.read(h, 0, 10));
            } finally {
                h.close();
            }
        } finally {
            if (root) new ProcessBuilder("chattr", "-i", f.toString()).start().waitFor();
        }
    }

    @Test
    void missingFileFailsAtOpen() throws IOException {
        Path f = sparse(tmp, "gone.img", 4096);
        FilePlugin p = plugin(f.toString());
        Files.delete(f);
        PluginException e = assertThrows(PluginException.class, () -> p.open(RW));
        assertEquals(Errno.ENOENT, e.errno());
        assertEquals("open: " + tmp.toRealPath().resolve("gone.img")
                + ": No such file or directory", e.getMessage());
    }

    @Test
    void dirModeServesFilesByExportName() throws IOException {
        sparse(tmp, "b.img", 8192);
        sparse(tmp, "a.img", 4096);
        Files.createDirectory(tmp.resolve("subdir"));
        FilePlugin p = plugin("dir=" + tmp);
        assertEquals(List.of(Export.named("a.img"), Export.named("b.img")), p.listExports(false, false));
        Handle h = p.open(new OpenContext(false, "b.img", false));
        try {
            assertEquals(8192, h.getSize());
        } finally {
            h.close();
        }
        assertEquals(Errno.ENOENT, assertThrows(PluginException.class,
                () -> p.open(new OpenContext(false, "", false))).errno());
        assertEquals(Errno.EINVAL, assertThrows(PluginException.class,
                () -> p.open(new OpenContext(false, "../etc/passwd", false))).errno());
        assertEquals(Errno.ENOENT, assertThrows(PluginException.class,
                () -> p.open(new OpenContext(false, "nope.img", false))).errno());
        assertEquals(Errno.EINVAL, assertThrows(PluginException.class,
                () -> p.open(new OpenContext(false, "subdir", false))).errno());
        assertNull(plugin(tmp.resolve("a.img").toString()).listExports(false, false));
    }

    @Test
    void cacheNoneStillReadsAndWrites() throws IOException {
        Path f = sparse(tmp, "nocache.img", 1 << 16);
        Handle h = plugin(f.toString(), "cache=none", "fadvise=sequential").open(RW);
        try {
            TestIo.write(h, 100, filled(5000, 3));
            assertArrayEquals(filled(5000, 3), TestIo.read(h, 100, 5000));
        } finally {
            h.close();
        }
    }

    @Test
    void tmpfsZeroFallsBackToPunchAndAllocate() throws IOException {
        Path shm = Path.of("/dev/shm");
        assertTrue(Files.isDirectory(shm) && Files.isWritable(shm));
        Path f = Files.createTempFile(shm, "jnbdkit-test", ".img");
        try {
            Files.write(f, filled(1 << 18, 9));
            Handle h = plugin(f.toString()).open(RW);
            try {
                h.zero(8192, 4096, 0);
                h.zero(8192, 65536, Flags.MAY_TRIM);
                h.trim(8192, 131072, 0);
                byte[] expect = filled(1 << 18, 9);
                Arrays.fill(expect, 4096, 4096 + 8192, (byte) 0);
                Arrays.fill(expect, 65536, 65536 + 8192, (byte) 0);
                Arrays.fill(expect, 131072, 131072 + 8192, (byte) 0);
                assertArrayEquals(expect, TestIo.read(h, 0, 1 << 18));
            } finally {
                h.close();
            }
        } finally {
            Files.deleteIfExists(f);
        }
    }
}
