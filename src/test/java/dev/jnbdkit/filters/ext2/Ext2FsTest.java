package dev.jnbdkit.filters.ext2;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The reader over images that e2fsprogs' mke2fs made from a directory tree: superblock and
 * descriptors (32- and 64-bit), 128- and 256-byte inodes, lookups in linear and htree
 * directories and through symbolic links, files through extent trees (depth 0, 1, 2) and
 * direct/indirect/double/triple block maps, holes, inline data; and the library's errors for
 * broken images.
 */
class Ext2FsTest {
    @TempDir Path tmp;

    static final List<String> FILES = List.of("small.txt", "empty", "odd.bin", "one-meg.bin", "sparse.bin",
            "a/b/c/deep.bin", "many/entry-with-a-longish-name-0", "many/entry-with-a-longish-name-2999");

    Path tree() { return Images.standardTree(tmp.resolve("tree")); }

    static long ino(Ext2Fs fs, String path) { return new PathResolver(fs).namei(Ext2Fs.ROOT_INO, path); }

    static byte[] contents(FileDevice dev, Ext2Fs fs, String path) {
        Ext2File f = new Ext2File(fs, fs.inode(ino(fs, path)));
        return dev.read(f, 0, Math.toIntExact(f.size()));
    }

    @ParameterizedTest
    @ValueSource(strings = {"ext2", "ext3", "ext4"})
    void everyFileReadsAsWritten(String type) throws IOException {
        Path tree = tree();
        Path img = Images.mkfs(tmp.resolve(type + ".img"), type, tree, "64M");
        Images.indexDirectories(img);
        try (FileDevice dev = new FileDevice(img)) {
            Ext2Fs fs = Ext2Fs.open(dev, false);
            for (String f : FILES) assertArrayEquals(Files.readAllBytes(tree.resolve(f)), contents(dev, fs, f), type + " " + f);
            // the directory of 3000 names is an htree (so the lookups above went through one)
            assertTrue((fs.inode(ino(fs, "many")).flags() & Inode.INDEX_FL) != 0, "many/ is not indexed");
            assertEquals(type.equals("ext4"), fs.superblock().is64bit());
            assertEquals(type.equals("ext4") ? 64 : 32, fs.superblock().descSize());
            assertEquals(256, fs.superblock().inodeSize());
        }
    }

    /** Layouts mke2fs can make: revision 0, no filetype, meta_bg, bigalloc, sparse_super2, csum_seed, 64 KiB blocks, 1 KiB inodes. */
    @ParameterizedTest
    @ValueSource(strings = {"ext2 -r 0", "ext2 -O ^filetype", "ext4 -O meta_bg,^resize_inode", "ext4 -O bigalloc -C 16384",
            "ext4 -O sparse_super2", "ext4 -O metadata_csum_seed", "ext4 -b 65536", "ext4 -b 4096 -I 1024",
            "ext4 -O ^has_journal,^flex_bg,^64bit,^metadata_csum"})
    void layouts(String spec) throws IOException {
        String[] w = spec.split(" ");
        Path tree = tree();
        Path img = Images.mkfs(tmp.resolve("v.img"), w[0], tree, "64M", java.util.Arrays.copyOfRange(w, 1, w.length));
        Images.indexDirectories(img);
        try (FileDevice dev = new FileDevice(img)) {
            Ext2Fs fs = Ext2Fs.open(dev, true);
            for (String f : FILES) assertArrayEquals(Files.readAllBytes(tree.resolve(f)), contents(dev, fs, f), spec + " " + f);
        }
    }

    /**
     * Every group's inode table where dumpe2fs says it is: 32- and 64-bit descriptors, and meta_bg
     * (descriptor blocks at the start of groups 0, 16, 32 of a 300 MiB filesystem of 1 KiB blocks).
     */
    @ParameterizedTest
    @ValueSource(strings = {"ext2", "ext4", "ext4 -O meta_bg,^resize_inode", "ext4 -O meta_bg,^resize_inode,^64bit"})
    void descriptorsAsDumpe2fs(String spec) throws IOException {
        String[] w = spec.split(" ");
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        List<String> opts = new java.util.ArrayList<>(List.of("-b", "1024"));
        opts.addAll(List.of(w).subList(1, w.length));
        Path img = Images.mkfs(tmp.resolve("g.img"), w[0], empty, "300M", opts.toArray(String[]::new));
        List<Long> want = new java.util.ArrayList<>();
        for (String line : dev.jnbdkit.it.Cmd.of("dumpe2fs", img.toString()).ok().out().split("\n")) {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("^  Inode table at (\\d+)-").matcher(line);
            if (m.find()) want.add(Long.parseLong(m.group(1)));
        }
        try (FileDevice dev = new FileDevice(img)) {
            Ext2Fs fs = Ext2Fs.open(dev, false);
            assertTrue(fs.groups().count() > 32, "enough groups for three meta_bg descriptor blocks");
            List<Long> got = new java.util.ArrayList<>();
            for (long g = 0; g < fs.groups().count(); g++) got.add(fs.groups().inodeTable(g));
            assertEquals(want, got);
            assertEquals(spec.contains("meta_bg"), fs.superblock().metaBg());
        }
    }

    @Test
    void holesArePiecesOfTheirOwn() throws IOException {
        Path img = Images.mkfs(tmp.resolve("h.img"), "ext4", tree(), "64M");
        try (FileDevice dev = new FileDevice(img)) {
            Ext2Fs fs = Ext2Fs.open(dev, false);
            Ext2File f = new Ext2File(fs, fs.inode(ino(fs, "sparse.bin")));
            List<Ext2File.Piece> p = f.pieces(0, f.size());
            assertEquals(Ext2File.Kind.HOLE, p.getFirst().kind(), p.toString());
            assertEquals(Ext2File.Kind.HOLE, p.getLast().kind(), p.toString());
            assertEquals(f.size(), p.stream().mapToLong(Ext2File.Piece::length).sum());
            // 40 islands, each its own extent: more than the 4 the inode holds, so a tree of depth 1
            assertTrue(p.stream().filter(x -> x.kind() == Ext2File.Kind.DATA).count() >= 40, p.toString());
            assertEquals(1, rootDepth(f.inode()));
        }
    }

    static int rootDepth(Inode inode) {
        return Short.toUnsignedInt(ByteBuffer.wrap(inode.iBlock()).order(ByteOrder.LITTLE_ENDIAN).getShort(6));
    }

    /** 1 KiB blocks hold 84 extents: 400 separate islands need a tree of depth 2. */
    @Test
    void extentTreeOfDepthTwo() throws IOException {
        Path tree = Files.createDirectories(tmp.resolve("frag"));
        long[] islands = new long[800];
        for (int i = 0; i < 400; i++) {
            islands[2 * i] = i * 5000L;
            islands[2 * i + 1] = 900;
        }
        Images.sparse(tree.resolve("frag.bin"), 2_100_000, islands);
        Path img = Images.mkfs(tmp.resolve("frag.img"), "ext4", tree, "16M", "-b", "1024");
        try (FileDevice dev = new FileDevice(img)) {
            Ext2Fs fs = Ext2Fs.open(dev, false);
            Inode inode = fs.inode(ino(fs, "frag.bin"));
            assertEquals(2, rootDepth(inode));
            assertArrayEquals(Files.readAllBytes(tree.resolve("frag.bin")), contents(dev, fs, "frag.bin"));
        }
    }

    /** ext2 with 1 KiB blocks: data in the direct, indirect, double- and triple-indirect ranges. */
    @Test
    void classicBlockMapAllLevels() throws IOException {
        Path tree = Files.createDirectories(tmp.resolve("ind"));
        long k = 1024;
        // direct < 12 KiB; single < 268 KiB; double < 64.3 MiB; triple beyond
        Images.sparse(tree.resolve("levels.bin"), 72L << 20, 0, 5000, 11 * k, 3000, 100 * k, 4000,
                (1L << 20) + 77, 9000, 70L << 20, 5000);
        Path img = Images.mkfs(tmp.resolve("ind.img"), "ext2", tree, "8M", "-b", "1024", "-I", "128");
        try (FileDevice dev = new FileDevice(img)) {
            Ext2Fs fs = Ext2Fs.open(dev, false);
            assertEquals(128, fs.superblock().inodeSize());
            Inode inode = fs.inode(ino(fs, "levels.bin"));
            assertFalse(inode.usesExtents());
            assertTrue(fs.blockMap(inode) instanceof IndirectMap);
            assertArrayEquals(Files.readAllBytes(tree.resolve("levels.bin")), contents(dev, fs, "levels.bin"));
        }
    }

    @Test
    void pathsAsNamei() throws IOException {
        Path img = Images.mkfs(tmp.resolve("p.img"), "ext4", tree(), "64M");
        try (FileDevice dev = new FileDevice(img)) {
            Ext2Fs fs = Ext2Fs.open(dev, false);
            long deep = ino(fs, "a/b/c/deep.bin");
            assertEquals(deep, ino(fs, "link-to-a/b/c/deep.bin"), "a symlink on the way is followed");
            assertEquals(deep, ino(fs, "a/rel/c/deep.bin"), "relative to the directory that holds it");
            assertEquals(deep, ino(fs, "/a/./b/../b/c/deep.bin"));
            long link = ino(fs, "deep-link");
            assertTrue(fs.inode(link).isSymlink(), "the last component's symlink is not followed");
            assertEquals("a/b/c/deep.bin", new String(new PathResolver(fs).target(fs.inode(link))));
            assertTrue(fs.inode(ino(fs, "a/b/")).isDirectory());
            assertEquals(Ext2Error.FILE_NOT_FOUND, assertThrows(Ext2Exception.class, () -> ino(fs, "missing")).error());
            assertEquals(Ext2Error.FILE_NOT_FOUND, assertThrows(Ext2Exception.class, () -> ino(fs, "a//b")).error());
            assertEquals(Ext2Error.NO_DIRECTORY, assertThrows(Ext2Exception.class, () -> ino(fs, "small.txt/x")).error());
        }
    }

    @Test
    void symlinkLoop() throws IOException {
        Path tree = Files.createDirectories(tmp.resolve("loop"));
        Files.createSymbolicLink(tree.resolve("x"), Path.of("y"));
        Files.createSymbolicLink(tree.resolve("y"), Path.of("x"));
        // a slow symlink (target longer than 60 bytes) is read from its block
        String longName = "d".repeat(100);
        Files.createDirectories(tree.resolve(longName));
        Files.writeString(tree.resolve(longName + "/f"), "far");
        Files.createSymbolicLink(tree.resolve("long"), Path.of(longName));
        Path img = Images.mkfs(tmp.resolve("loop.img"), "ext2", tree, "4M");
        try (FileDevice dev = new FileDevice(img)) {
            Ext2Fs fs = Ext2Fs.open(dev, false);
            assertEquals(Ext2Error.SYMLINK_LOOP, assertThrows(Ext2Exception.class, () -> ino(fs, "x/z")).error());
            assertArrayEquals("far".getBytes(), contents(dev, fs, "long/f"));
        }
    }

    /** Files and directories stored inside their inodes (inline_data): read, written, and still clean for e2fsck. */
    @Test
    void inlineData() throws IOException {
        Path tree = Files.createDirectories(tmp.resolve("inl/sub"));
        tree = tree.getParent();
        Files.writeString(tree.resolve("tiny.txt"), "in the inode's i_block");
        byte[] mid = Images.random(9, 100); // i_block and the system.data attribute
        Files.write(tree.resolve("mid.bin"), mid);
        Files.writeString(tree.resolve("sub/leaf.txt"), "leaf");
        Path img = Images.mkfs(tmp.resolve("inl.img"), "ext4", tree, "8M", "-O", "inline_data");
        try (FileDevice dev = new FileDevice(img)) {
            Ext2Fs fs = Ext2Fs.open(dev, true);
            Inode m = fs.inode(ino(fs, "mid.bin"));
            assertTrue(m.hasInlineData());
            assertTrue(fs.inode(ino(fs, "sub")).hasInlineData(), "sub/ is an inline directory");
            assertArrayEquals(mid, contents(dev, fs, "mid.bin"));
            assertArrayEquals("leaf".getBytes(), contents(dev, fs, "sub/leaf.txt"));
            assertEquals(ino(fs, "sub"), ino(fs, "sub/."));
            assertEquals(Ext2Fs.ROOT_INO, ino(fs, "sub/.."));
            // a write across i_block and the attribute's value
            Ext2File f = new Ext2File(fs, m);
            byte[] w = "WRITTEN-ACROSS-THE-TWO-PARTS".getBytes();
            f.writeInline(50, w);
            System.arraycopy(w, 0, mid, 50, w.length);
            assertArrayEquals(mid, contents(dev, Ext2Fs.open(dev, false), "mid.bin"));
        }
        Images.fsckClean(img);
        assertArrayEquals(mid, Images.debugfsCat(img, "/mid.bin", tmp));
    }

    // ---- broken images ----------------------------------------------------------------------

    static Ext2Error openError(Path img, boolean rw) throws IOException {
        try (FileDevice dev = new FileDevice(img)) {
            return assertThrows(Ext2Exception.class, () -> Ext2Fs.open(dev, rw)).error();
        }
    }

    static void poke(Path img, long offset, byte... bytes) throws IOException {
        try (FileChannel ch = FileChannel.open(img, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(bytes), offset);
        }
    }

    /** Rewrites the superblock's checksum after a change, as a tool that knows the format would. */
    static void fixSuperblockChecksum(Path img) throws IOException {
        byte[] sb = new byte[1024];
        try (FileChannel ch = FileChannel.open(img, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ch.read(ByteBuffer.wrap(sb), 1024);
            int c = Crc32c.update(-1, sb, 0, 0x3FC);
            ch.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(0, c), 1024 + 0x3FC);
        }
    }

    @Test
    void brokenImages() throws IOException {
        Path zeros = tmp.resolve("zeros.img");
        Files.write(zeros, new byte[1 << 20]);
        assertEquals(Ext2Error.BAD_MAGIC, openError(zeros, false));
        Path tiny = tmp.resolve("tiny.img");
        Files.write(tiny, new byte[1500]);
        assertEquals(Ext2Error.SHORT_READ, openError(tiny, false));

        Path tree = Files.createDirectories(tmp.resolve("t"));
        Files.writeString(tree.resolve("f"), "x");
        Path img = Images.mkfs(tmp.resolve("b.img"), "ext4", tree, "4M");
        Path c = tmp.resolve("c.img");
        Files.copy(img, c);
        poke(c, 1024 + 0x78, (byte) 'Z'); // the volume name, under the checksum
        assertEquals(Ext2Error.SB_CSUM_INVALID, openError(c, false));
        fixSuperblockChecksum(c);
        try (FileDevice dev = new FileDevice(c)) {
            Ext2Fs.open(dev, false);
        }
        Files.copy(img, c, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        poke(c, 1024 + 0x61, (byte) 0x10); // incompat 0x1000: dirdata, which the library does not know
        fixSuperblockChecksum(c);
        assertEquals(Ext2Error.UNSUPP_FEATURE, openError(c, false));
        Files.copy(img, c, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        poke(c, 1024 + 0x64, (byte) 0x84); // ro_compat 0x80: a snapshot feature unknown to the library
        fixSuperblockChecksum(c);
        try (FileDevice dev = new FileDevice(c)) {
            Ext2Fs.open(dev, false); // read-only: fine
        }
        assertEquals(Ext2Error.RO_UNSUPP_FEATURE, openError(c, true));
        Files.copy(img, c, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        poke(c, 1024 + 0x18, (byte) 9); // 512 KiB blocks
        fixSuperblockChecksum(c);
        assertEquals(Ext2Error.CORRUPT_SUPERBLOCK, openError(c, false));
    }

    @Test
    void inodeChecksum() throws IOException {
        Path tree = Files.createDirectories(tmp.resolve("t"));
        Files.writeString(tree.resolve("f"), "x");
        Path img = Images.mkfs(tmp.resolve("i.img"), "ext4", tree, "4M");
        long location;
        try (FileDevice dev = new FileDevice(img)) {
            Ext2Fs fs = Ext2Fs.open(dev, false);
            Inode f = fs.inode(ino(fs, "f"));
            assertTrue(f.checksumValid(fs.superblock().csumSeed()));
            location = f.location();
        }
        poke(img, location + 0x08, (byte) 0x55); // the access time
        try (FileDevice dev = new FileDevice(img)) {
            Ext2Fs fs = Ext2Fs.open(dev, false);
            long n = ino(fs, "f");
            assertEquals(Ext2Error.INODE_CSUM_INVALID, assertThrows(Ext2Exception.class, () -> fs.inode(n)).error());
        }
    }
}
