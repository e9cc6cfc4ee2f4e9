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

    static String sha(Path p) {
        try {
            return hex(sha256(Files.readAllBytes(p)));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
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
        for (String type : List.of("ext2", "ext3", "ext4")) {
            Path img = image(type, tree);
            String out = same(args("--filter=ext2", "file", img.toString(), "ext2file=exportname"), s -> exports(s, FILES));
            for (String f : FILES) {
                Path src = tree.resolve(f);
                String want = f + " " + src.toFile().length() + " " + sha(src) + " ro=0 flush=1 fua=1 trim=0 zero=1 multi=0 cache=1 df=1";
                assertTrue(out.contains(want + "\n"), type + ": " + want + "\n" + out);
            }
        }
    }

    /** ext2file=PATH; nbdcopy and nbdinfo (--json, --map) of a large and a sparse file. */
    @Test
    void nbdcopyAndNbdinfo() {
        Path tree = tree();
        Path big = randomFile("tree/big.bin", 24 << 20, 77);
        Path img = image("ext4", tree);
        for (String f : List.of("/big.bin", "/sparse.bin", "/odd.bin")) {
            String out = same(args("--filter=ext2", "-r", "file", img.toString(), "ext2file=" + f), s -> {
                Path copy = tmp.resolve("copy-" + s.socket().getFileName());
                Cmd.of("nbdcopy", s.uri(), copy.toString()).ok();
                return sha(copy) + "\n" + info(s) + map(s);
            });
            Path src = f.equals("/big.bin") ? big : tree.resolve(f.substring(1));
            assertTrue(out.startsWith(sha(src) + "\n"), f + "\n" + out);
            assertTrue(out.contains("\"is_read_only\": true"), out);
        }
        // qemu-img reads it as a raw disk
        String q = same(args("--filter=ext2", "-r", "file", img.toString(), "ext2file=/one-meg.bin"), s -> {
            Path out = tmp.resolve("q-" + s.socket().getFileName());
            Cmd.of("qemu-img", "convert", "-f", "raw", "-O", "raw", s.uri(), out.toString()).ok();
            return sha(out);
        });
        assertEquals(sha(tree.resolve("one-meg.bin")), q);
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
        String small = String.join("\n", each(args("--filter=ext2", "memory", "1500", "ext2file=/x"), s -> {
            Cmd.of("nbdinfo", s.uri()).fails();
            return String.join("\n", errors(s));
        }).values());
        assertTrue(small.contains("error: open: "), small);
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
        Cmd.of("cmp", copies.get(Impl.JNBDKIT).toString(), copies.get(Impl.NBDKIT).toString()).ok();
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
                print("hole write", errno.errorcode[e.errno])
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
        assertTrue(out.get(Impl.NBDKIT).contains("hole write ok bytearray(b'XX')"), out.get(Impl.NBDKIT));
        String j = out.get(Impl.JNBDKIT);
        assertTrue(j.startsWith("bytearray(b'\\x00\\x00\\x00\\x00') bytearray(b'DD')\nhole write ENOSPC\n"), j);
        assertTrue(j.contains("error: /sparse.bin: write: cannot allocate blocks"), j);
        Path c = img.resolveSibling(img.getFileName() + ".jnbdkit");
        Images.fsckClean(c);
        byte[] want = Files.readAllBytes(tree.resolve("sparse.bin"));
        java.util.Arrays.fill(want, 5000, 5100, (byte) 'D');
        assertArrayEquals(want, Images.debugfsCat(c, "/sparse.bin", tmp));
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
        assertTrue(out.contains("mid.bin 100 " + sha(tree.resolve("mid.bin"))), out);
        Map<Impl, Path> copies = new java.util.EnumMap<>(Impl.class);
        for (Impl impl : Impl.values()) copies.put(impl, copy(img, impl));
        same(impl -> args("--filter=ext2", "file", copies.get(impl).toString(), "ext2file=/mid.bin"),
                s -> py(s, "h.pwrite(b'W' * 30, 45)\nh.flush()\nprint(h.pread(100, 0))\n"));
        byte[] want = Files.readAllBytes(tree.resolve("mid.bin"));
        java.util.Arrays.fill(want, 45, 75, (byte) 'W');
        for (Impl impl : Impl.values()) {
            assertArrayEquals(want, Images.debugfsCat(copies.get(impl), "/mid.bin", tmp), impl.name());
            Images.fsckClean(copies.get(impl));
        }
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
