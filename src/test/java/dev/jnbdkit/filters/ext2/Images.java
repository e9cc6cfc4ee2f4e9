package dev.jnbdkit.filters.ext2;

import dev.jnbdkit.it.Cmd;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Filesystem images for the ext2 tests, made by e2fsprogs' mke2fs from a directory tree
 * ({@code mke2fs -d}), and the trees themselves: files of several sizes, sparse files whose data
 * islands become separate extents (an extent tree deeper than the inode's four root entries),
 * nested directories, a directory of thousands of entries, symbolic links.
 */
public final class Images {
    private Images() {}

    /** Fails (never skips) when e2fsprogs is not installed. */
    static void requireE2fsprogs() {
        for (String p : List.of("mke2fs", "debugfs", "e2fsck")) {
            boolean found = false;
            for (String d : Cmd.CLIENT_PATH.split(":")) found |= !d.isEmpty() && Files.isExecutable(Path.of(d, p));
            if (!found) throw new AssertionError(p + " is missing: install the Debian package e2fsprogs (bin/test does)");
        }
    }

    /** {@code mke2fs -q -F -t TYPE -d TREE OPTIONS IMAGE SIZE}: the image. */
    public static Path mkfs(Path image, String type, Path tree, String size, String... options) {
        requireE2fsprogs();
        List<String> a = new ArrayList<>(List.of("mke2fs", "-q", "-F", "-t", type, "-d", tree.toString()));
        a.addAll(List.of(options));
        a.add(image.toString());
        a.add(size);
        Cmd.of(a).ok();
        return image;
    }

    /**
     * {@code e2fsck -fyD IMAGE}: rebuilds every directory of more than one block as an htree
     * (mke2fs -d writes linear directories); exit 0 or 1 (1: it changed the filesystem).
     */
    public static void indexDirectories(Path image) {
        Cmd.Result r = Cmd.of("e2fsck", "-fyD", image.toString()).run();
        if (r.exit() != 0 && r.exit() != 1) throw new AssertionError("e2fsck -fyD failed\n" + r);
    }

    /** {@code e2fsck -fn IMAGE}: exits 0 on a clean filesystem; its output. */
    public static String fsckClean(Path image) {
        return Cmd.of("e2fsck", "-fn", image.toString()).ok().out();
    }

    /** {@code debugfs -R 'cat PATH' IMAGE}: the file's bytes as e2fsprogs reads them. */
    public static byte[] debugfsCat(Path image, String path, Path scratch) {
        Path out = scratch.resolve("debugfs-cat-" + System.nanoTime());
        Cmd.of("debugfs", "-R", "dump " + path + " " + out, image.toString()).ok();
        try {
            return Files.readAllBytes(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Pseudo-random bytes, the same for the same seed. */
    public static byte[] random(long seed, int length) {
        byte[] b = new byte[length];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** A file of {@code size} bytes, holes everywhere but at the {@code [offset, length]} islands (random data). */
    public static Path sparse(Path p, long size, long... islands) {
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            ch.truncate(0);
            for (int i = 0; i < islands.length; i += 2) {
                ch.write(ByteBuffer.wrap(random(islands[i], (int) islands[i + 1])), islands[i]);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(p.toFile(), "rw")) {
            f.setLength(size); // a hole up to the size
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The standard tree: {@code small.txt} (13 bytes), {@code empty}, {@code odd.bin} (12345
     * bytes), {@code one-meg.bin}, {@code sparse.bin} (8 MiB, 40 islands), {@code a/b/c/deep.bin},
     * {@code many/} (3000 hard links to one file: an htree after {@link #indexDirectories}), {@code link-to-a -> a},
     * {@code rel -> b} inside {@code a}, {@code deep-link -> a/b/c/deep.bin}.
     */
    public static Path standardTree(Path dir) {
        try {
            Files.createDirectories(dir.resolve("a/b/c"));
            Files.createDirectories(dir.resolve("many"));
            Files.writeString(dir.resolve("small.txt"), "hello, ext2!\n");
            Files.write(dir.resolve("empty"), new byte[0]);
            Files.write(dir.resolve("odd.bin"), random(1, 12345));
            Files.write(dir.resolve("one-meg.bin"), random(2, 1 << 20));
            long[] islands = new long[80];
            for (int i = 0; i < 40; i++) {
                islands[2 * i] = i * 200_000L + 5000;
                islands[2 * i + 1] = 7000 + i * 100;
            }
            sparse(dir.resolve("sparse.bin"), 8 << 20, islands);
            Files.write(dir.resolve("a/b/c/deep.bin"), random(3, 70_000));
            // 3000 names for one inode (hard links): a directory of ~30 blocks, few inodes
            Path target = Files.writeString(dir.resolve("many/entry-with-a-longish-name-0"), "many\n");
            for (int i = 1; i < 3000; i++) Files.createLink(dir.resolve("many/entry-with-a-longish-name-" + i), target);
            Files.createSymbolicLink(dir.resolve("link-to-a"), Path.of("a"));
            Files.createSymbolicLink(dir.resolve("a/rel"), Path.of("b"));
            Files.createSymbolicLink(dir.resolve("deep-link"), Path.of("a/b/c/deep.bin"));
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
