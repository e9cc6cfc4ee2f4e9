package dev.jnbdkit.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jnbdkit.filters.ext2.Images;
import dev.jnbdkit.it.Server.Impl;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * nbdkit-ext2-filter through real clients, side by side with nbdkit (which reads the filesystem
 * with libext2fs): images made by mke2fs -d from a tree of files (several sizes, sparse files,
 * nested directories, an htree directory of 3000 names, symbolic links), for ext2, ext3 and
 * ext4; the same bytes, sizes, flags and errors; writes checked with debugfs and e2fsck.
 */
class Ext2FilterIT extends FilterItBase {
    static final List<String> FILES = List.of("small.txt", "empty", "odd.bin", "one-meg.bin", "sparse.bin",
            "a/b/c/deep.bin", "many/entry-with-a-longish-name-1234", "link-to-a/b/c/deep.bin", "a/rel/c/deep.bin");

    Path tree() { return Images.standardTree(tmp.resolve("tree")); }

    Path image(String type, Path tree, String... options) {
        Path img = Images.mkfs(tmp.resolve(type + ".img"), type, tree, "64M", options);
        Images.indexDirectories(img);
        return img;
    }

    /** The ext2-exports.py report of each name, from one server with ext2file=exportname. */
    static String exports(Server s, List<String> names) {
        List<String> a = new ArrayList<>(List.of(s.socket().toString()));
        a.addAll(names);
        return python(resource("ext2-exports.py"), a.toArray(String[]::new)).ok().out();
    }

    /** Every file of the tree, by export name, through ext2, ext3 and ext4: nbdkit's bytes, sizes and flags, the tree's bytes. */
    @Test
    void everyFileOfEveryType() {
        Path tree = tree();
        // blocks of 1, 2 and 4 KiB
        for (String[] t : new String[][] {{"ext2", "1024"}, {"ext3", "2048"}, {"ext4", "4096"}}) {
            String type = t[0];
            Path img = image(type, tree, "-b", t[1]);
            String out = same(args("--filter=ext2", "file", img.toString(), "ext2file=exportname"), s -> exports(s, FILES));
            for (String f : FILES) {
                Path src = tree.resolve(f);
                String want = f + " " + src.toFile().length() + " " + Differential.sha256(src) + " ro=0 flush=1 fua=1 trim=0 zero=1 multi=0 cache=1 df=1";
                assertTrue(out.contains(want + "\n"), type + ": " + want + "\n" + out);
            }
        }
    }

    /**
     * ext2file=PATH; nbdcopy and nbdinfo --json of a large, a sparse and an odd-sized file. The
     * copies skip block status: nbdkit 1.32 answers it with the image's extents at the file's
     * offsets, so an nbdcopy that trusts them leaves data out (see {@link #extentsAreTheFilesOwn}).
     */
    @Test
    void nbdcopyAndNbdinfo() {
        Path tree = tree();
        Path big = randomFile("tree/big.bin", 24 << 20, 77);
        Path img = image("ext4", tree);
        for (String f : List.of("/big.bin", "/sparse.bin", "/odd.bin")) {
            String out = same(args("--filter=ext2", "-r", "file", img.toString(), "ext2file=" + f), s -> {
                Path copy = tmp.resolve("copy-" + s.socket().getFileName());
                Cmd.of("nbdcopy", "--no-extents", s.uri(), copy.toString()).ok();
                return Differential.sha256(copy) + "\n" + info(s);
            });
            Path src = f.equals("/big.bin") ? big : tree.resolve(f.substring(1));
            assertTrue(out.startsWith(Differential.sha256(src) + "\n"), f + "\n" + out);
            assertTrue(out.contains("\"is_read_only\": true"), out);
        }
        // qemu-img reads it as a raw disk (jnbdkit only: qemu-img convert follows block status,
        // which nbdkit 1.32 gets wrong here)
        Server s = start(Impl.JNBDKIT, args("--filter=ext2", "-r", "file", img.toString(), "ext2file=/sparse.bin"));
        Path out = tmp.resolve("qemu-img-copy");
        Cmd.of("qemu-img", "convert", "-f", "raw", "-O", "raw", s.uri(), out.toString()).ok();
        s.stop();
        assertEquals(Differential.sha256(tree.resolve("sparse.bin")), Differential.sha256(out));
    }

    /**
     * Block status is the file's own allocation: its holes are holes, its data is data. (nbdkit
     * 1.32 passes the image's extents on at the file's offsets, which say nothing about the file:
     * not compared.)
     */
    @Test
    void extentsAreTheFilesOwn() {
        Path tree = tree();
        Path img = image("ext4", tree);
        Server s = start(Impl.JNBDKIT, args("--filter=ext2", "-r", "file", img.toString(), "ext2file=/sparse.bin"));
        String map = map(s);
        // and an nbdcopy that skips the holes copies the file exactly
        Path copy = tmp.resolve("sparse-copy");
        Cmd.of("nbdcopy", s.uri(), copy.toString()).ok();
        s.stop();
        assertEquals(Differential.sha256(tree.resolve("sparse.bin")), Differential.sha256(copy));
        // the islands (Images.standardTree): i*200000+5000, 7000+i*100 bytes, in blocks of 1 KiB
        // (mke2fs's "small" filesystem type, under 512 MiB)
        StringBuilder want = new StringBuilder();
        long at = 0, bs = 1024;
        for (int i = 0; i < 40; i++) {
            long start = (i * 200_000L + 5000) / bs * bs;
            long end = (i * 200_000L + 5000 + 7000 + i * 100 + bs - 1) / bs * bs;
            if (start > at) want.append(String.format("%10d  %10d    3  hole,zero%n", at, start - at));
            want.append(String.format("%10d  %10d    0  data%n", start, end - start));
            at = end;
        }
        want.append(String.format("%10d  %10d    3  hole,zero%n", at, (8 << 20) - at));
        assertEquals(want.toString(), map);
    }

    /** The next layer's export description, wrapped as nbdkit wraps it. */
    @Test
    void exportDescription() {
        Path img = image("ext2", tree());
        String out = same(args("--filter=ext2", "--filter=exportname", "file", img.toString(), "ext2file=/small.txt",
                "exportdesc=fixed:the image"), s -> Cmd.of("nbdinfo", "--json", s.uri()).ok().out()
                .lines().filter(l -> l.contains("description")).reduce("", (x, y) -> x + y + "\n"));
        assertTrue(out.contains("embedded '/small.txt' from within ext2 image: the image"), out);
    }

    /** A missing file, a directory, a symlink, a file used as a directory, the root, a symlink loop: nbdkit's messages. */
    @Test
    void notARegularFile() {
        Path tree = tree();
        try {
            Files.createSymbolicLink(tree.resolve("loop1"), Path.of("loop2"));
            Files.createSymbolicLink(tree.resolve("loop2"), Path.of("loop1"));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        Path img = image("ext4", tree);
        String[][] cases = {
                {"/missing", "/missing: namei: File not found by ext2_lookup"},
                {"/a/b", "/a/b: must be a regular file in the disk image"},
                {"/deep-link", "/deep-link: must be a regular file in the disk image"},
                {"/small.txt/x", "/small.txt/x: namei: Ext2 inode is not a directory"},
                {"/", "/: must be a regular file in the disk image"},
                {"/loop1/x", "/loop1/x: namei: Too many symbolic links encountered."},
        };
        for (String[] c : cases) {
            String msgs = same(args("--filter=ext2", "file", img.toString(), "ext2file=" + c[0]), s -> {
                Cmd.of("nbdinfo", s.uri()).fails();
                return String.join("\n", errors(s));
            });
            assertTrue(msgs.contains("error: " + c[1]), c[0] + "\n" + msgs);
        }
        // by export name: the same lookups, and the same failures for the client
        String out = same(args("--filter=ext2", "file", img.toString(), "ext2file=exportname"),
                s -> exports(s, List.of("missing", "a/b", "", "small.txt", "/small.txt")));
        assertTrue(out.contains("missing error "), out);
        assertTrue(out.contains("small.txt 13 "), out);
    }

    /** Not an ext2 image at all, and an image too small to hold a superblock. */
    @Test
    void notAnImage() {
        Path zeros = file("zeros.img", 4 << 20);
        String msgs = same(args("--filter=ext2", "file", zeros.toString(), "ext2file=/x"), s -> {
            Cmd.of("nbdinfo", s.uri()).fails();
            return String.join("\n", errors(s));
        });
        assertTrue(msgs.contains("error: open: Bad magic number in super-block"), msgs);
        // nbdkit 1.32 aborts here (backend_pread: Assertion `backend_valid_range' failed): jnbdkit only
        Server s = start(Impl.JNBDKIT, args("--filter=ext2", "memory", "1500", "ext2file=/x"));
        Cmd.of("nbdinfo", s.uri()).fails();
        assertTrue(String.join("\n", errors(s))
                .contains("error: open: Attempt to read block from filesystem resulted in short read"), s.stderr());
        s.stop();
    }

    static final String WRITES = """
            data = bytes(range(256)) * 64
            h.pwrite(data[:1000], 0)
            h.pwrite(data[:5000], 4000)           # across block boundaries
            h.pwrite(data[:3], size - 3)          # the last bytes
            h.pwrite(data, 300000, nbd.CMD_FLAG_FUA)
            h.flush()
            print(h.pread(8, 4000) == data[:8], h.pread(3, size - 3) == data[:3])
            """;

    /** Writes into the file's blocks land in the image: debugfs reads them back, e2fsck finds nothing wrong, and nbdkit wrote the same image. */
    @Test
    void writesLandInTheFile() throws IOException {
        Path tree = tree();
        Path img = image("ext4", tree);
        Map<Impl, Path> copies = new java.util.EnumMap<>(Impl.class);
        for (Impl impl : Impl.values()) copies.put(impl, copy(img, impl));
        String out = same(impl -> args("--filter=ext2", "file", copies.get(impl).toString(), "ext2file=/one-meg.bin"),
                s -> py(s, WRITES));
        assertEquals("True True", out.strip());
        byte[] want = Files.readAllBytes(tree.resolve("one-meg.bin"));
        byte[] data = new byte[256 * 64];
        for (int i = 0; i < data.length; i++) data[i] = (byte) i;
        System.arraycopy(data, 0, want, 0, 1000);
        System.arraycopy(data, 0, want, 4000, 5000);
        System.arraycopy(data, 0, want, want.length - 3, 3);
        System.arraycopy(data, 0, want, 300000, data.length);
        for (Impl impl : Impl.values()) {
            Path c = copies.get(impl);
            assertArrayEquals(want, Images.debugfsCat(c, "/one-meg.bin", tmp), impl.name());
            Images.fsckClean(c);
        }
        // Both images are the same but for the superblock, where libext2fs's close records a
        // write (s_wtime, s_kbytes_written and the checksum) and jnbdkit changes nothing.
        byte[] j = Files.readAllBytes(copies.get(Impl.JNBDKIT)), n = Files.readAllBytes(copies.get(Impl.NBDKIT));
        assertEquals(n.length, j.length);
        for (int i = 0; i < j.length; i++) {
            if (j[i] != n[i] && (i < 1024 || i >= 2048)) throw new AssertionError("the images differ at byte " + i);
        }
    }

    static final String HOLES = """
            # sparse.bin: islands of data at i*200000+5000 (7000+i*100 bytes), holes between
            h.pwrite(b"\\0" * 4096, 100000)            # zeros into a hole: it already reads as zeros
            h.zero(8192, 120000)                         # write-zeroes of a hole, emulated with zeros
            h.pwrite(b"D" * 100, 5000)                   # data into data
            print(h.pread(4, 100000), h.pread(2, 5000))
            try:
                h.pwrite(b"X" * 4096, 100000)            # data into a hole
                print("hole write ok", h.pread(2, 100000))
            except nbd.Error as e:
                print("hole write", errno.errorcode.get(e.errno, str(e.errno)))
            try:
                h.pwrite(b"M" * 8000, 10000)             # the end of island 0, then a hole
                print("mixed write ok", h.pread(2, 10000))
            except nbd.Error as e:
                print("mixed write", errno.errorcode.get(e.errno, str(e.errno)), h.pread(2, 10000) != b"MM")
            """;

    /**
     * Writes into holes: zeros succeed under both; data succeeds under nbdkit (libext2fs allocates a
     * block) and fails with ENOSPC under jnbdkit, which writes only into allocated blocks (README
     * "What differs"); nothing of the refused write reaches the image.
     */
    @Test
    void writesIntoHoles() throws IOException {
        Path tree = tree();
        Path img = image("ext4", tree);
        Map<Impl, String> out = each(impl -> args("--filter=ext2", "file", copy(img, impl).toString(), "ext2file=/sparse.bin"),
                s -> py(s, HOLES) + String.join("\n", errors(s)));
        assertTrue(out.get(Impl.NBDKIT).contains("hole write ok bytearray(b'XX')\nmixed write ok bytearray(b'MM')"), out.get(Impl.NBDKIT));
        String j = out.get(Impl.JNBDKIT);
        assertTrue(j.startsWith("bytearray(b'\\x00\\x00\\x00\\x00') bytearray(b'DD')\nhole write ENOSPC\nmixed write ENOSPC True\n"), j);
        assertTrue(j.contains("error: /sparse.bin: write: cannot allocate blocks"), j);
        Path c = img.resolveSibling(img.getFileName() + ".jnbdkit");
        Images.fsckClean(c);
        byte[] want = Files.readAllBytes(tree.resolve("sparse.bin"));
        java.util.Arrays.fill(want, 5000, 5100, (byte) 'D');
        assertArrayEquals(want, Images.debugfsCat(c, "/sparse.bin", tmp));
    }

    /**
     * An unwritten (preallocated) extent, made with debugfs's fallocate: reads as zeros under both,
     * block status "zero" (allocated) between holes; zeros may be written into it, data is
     * refused with ENOSPC by jnbdkit and written by nbdkit (which converts the extent).
     */
    @Test
    void unwrittenExtent() throws IOException {
        Path tree = Files.createDirectories(tmp.resolve("u"));
        Images.sparse(tree.resolve("sp"), 1 << 20);
        Path img = Images.mkfs(tmp.resolve("u.img"), "ext4", tree, "16M");
        Cmd.of("debugfs", "-w", "-R", "fallocate /sp 10 20", img.toString()).ok();
        String zeros = Differential.sha256(new byte[1 << 20]);
        String read = same(args("--filter=ext2", "-r", "file", img.toString(), "ext2file=exportname"), s -> exports(s, List.of("sp")));
        assertTrue(read.startsWith("sp " + (1 << 20) + " " + zeros + " "), read);
        Server s = start(Impl.JNBDKIT, args("--filter=ext2", "-r", "file", img.toString(), "ext2file=/sp"));
        assertEquals(String.format("%10d  %10d    3  hole,zero%n%10d  %10d    2  zero%n%10d  %10d    3  hole,zero%n",
                0, 10240, 10240, 11264, 21504, (1 << 20) - 21504), map(s));
        s.stop();
        String script = """
                h.pwrite(b"\\0" * 2048, 11000)
                try:
                    h.pwrite(b"U" * 100, 12000)
                    print("data", h.pread(2, 12000))
                except nbd.Error as e:
                    print("data", errno.errorcode.get(e.errno, str(e.errno)))
                """;
        Map<Impl, String> out = each(impl -> args("--filter=ext2", "file", copy(img, impl).toString(), "ext2file=/sp"),
                c -> py(c, script));
        assertEquals("data bytearray(b'UU')\n", out.get(Impl.NBDKIT));
        assertEquals("data ENOSPC\n", out.get(Impl.JNBDKIT));
        Images.fsckClean(img.resolveSibling(img.getFileName() + ".jnbdkit"));
    }

    /**
     * Flush and FUA reach the next layer when the client asks (a log filter below shows it);
     * nbdkit passes them on only when the connection closes (not compared).
     */
    @Test
    void flushAndFuaReachTheImage() {
        Path img = image("ext4", tree());
        Path log = tmp.resolve("below.log");
        Server s = start(Impl.JNBDKIT, args("--filter=ext2", "--filter=log", "file", img.toString(),
                "ext2file=/one-meg.bin", "logfile=" + log));
        py(s, "h.pwrite(b'f' * 1024, 4096, nbd.CMD_FLAG_FUA)\nh.flush()\n");
        s.stop();
        List<String> l = lines(log);
        int write = -1, flush = -1;
        for (int i = 0; i < l.size(); i++) {
            if (l.get(i).matches("connection=\\d+ Write id=\\d+ offset=0x[0-9a-f]+ count=0x400 fua=1 \\.\\.\\.")) write = i;
            if (l.get(i).matches("connection=\\d+ Flush id=\\d+ \\.\\.\\.") && flush < 0 && write >= 0) flush = i;
        }
        int disconnect = -1;
        for (int i = 0; i < l.size(); i++) if (l.get(i).contains(" Disconnect ")) disconnect = i;
        // the FUA write, then the client's flush, both before the connection ends
        assertTrue(write >= 0 && flush > write && disconnect > flush, String.join("\n", l));
    }

    /** Inline data (ext4 -O inline_data): small files read and written inside their inodes. */
    @Test
    void inlineData() throws IOException {
        Path tree = Files.createDirectories(tmp.resolve("inl/sub"));
        tree = tree.getParent();
        Files.writeString(tree.resolve("tiny.txt"), "in the inode's i_block");
        Files.write(tree.resolve("mid.bin"), Images.random(9, 100));
        Files.writeString(tree.resolve("sub/leaf.txt"), "leaf");
        Path img = Images.mkfs(tmp.resolve("inline.img"), "ext4", tree, "8M", "-O", "inline_data");
        String out = same(args("--filter=ext2", "-r", "file", img.toString(), "ext2file=exportname"),
                s -> exports(s, List.of("tiny.txt", "mid.bin", "sub/leaf.txt")));
        assertTrue(out.contains("mid.bin 100 " + Differential.sha256(tree.resolve("mid.bin"))), out);
        // A write across i_block and the system.data attribute: jnbdkit only, as nbdkit 1.32
        // (libext2fs 1.47) dies of SIGSEGV on it.
        Path c = copy(img, Impl.JNBDKIT);
        Server s = start(Impl.JNBDKIT, args("--filter=ext2", "file", c.toString(), "ext2file=/mid.bin"));
        String written = py(s, "h.pwrite(b'W' * 30, 45, nbd.CMD_FLAG_FUA)\nh.flush()\nprint(h.pread(100, 0))\n");
        s.stop();
        byte[] want = Files.readAllBytes(tree.resolve("mid.bin"));
        java.util.Arrays.fill(want, 45, 75, (byte) 'W');
        assertTrue(written.contains("W".repeat(30)), written);
        assertArrayEquals(want, Images.debugfsCat(c, "/mid.bin", tmp));
        Images.fsckClean(c);
    }

    /** Read-only when the next layer is (an eval plugin without pwrite), and with -r. */
    @Test
    void readOnly() {
        Path tree = tree();
        Path img = image("ext2", tree);
        String script = "print(h.is_read_only(), expect_err('EPERM', lambda: h.pwrite(b'x', 0)), h.pread(4, 0) == "
                + "open('" + tree.resolve("odd.bin") + "', 'rb').read(4))\n";
        String out = same(args("--filter=ext2", "eval", "get_size=stat -c %s " + img,
                "pread=dd if=" + img + " iflag=skip_bytes,count_bytes skip=$4 count=$3 status=none",
                "ext2file=/odd.bin"), s -> py(s, script));
        assertEquals("True EPERM True", out.strip());
        out = same(args("--filter=ext2", "-r", "file", img.toString(), "ext2file=/odd.bin"), s -> py(s, script));
        assertEquals("True EPERM True", out.strip());
    }

    /** One connection at a time, as nbdkit: a second client waits until the first has gone. */
    @Test
    void oneConnectionAtATime() {
        Path img = image("ext2", tree());
        String out = same(args("--filter=ext2", "file", img.toString(), "ext2file=/odd.bin"),
                s -> python(resource("ext2-two-clients.py"), s.socket().toString()).ok().out());
        assertEquals("second served while the first is connected: False\nsecond served after: True\n", out);
    }

    @Test
    void badParameters() {
        badParameter("you must supply ext2file=<FILE> parameter after the plugin name on the command line",
                "--filter=ext2", "memory", "1M");
        badParameter("the file parameter must refer to an absolute path", "--filter=ext2", "memory", "1M", "ext2file=a/b");
        badParameter("ext2file parameter specified more than once", "--filter=ext2", "memory", "1M", "ext2file=/a", "ext2file=/b");
    }

    @Test
    void help() {
        assertEquals(FilterHelpIT.section(Impl.NBDKIT, "ext2"), FilterHelpIT.section(Impl.JNBDKIT, "ext2"));
    }
}
