package dev.jnbdkit.it;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/**
 * Disk images for the xz, gzip and tar filter tests, made by the Debian tools the filters' users
 * make them with ({@code xz --block-size}, {@code gzip}, GNU {@code tar}), from a disk with data a
 * compressor has work to do on: random bytes, zeros, and text.
 */
final class ArchiveImages {
    private ArchiveImages() { }

    /** 4 MiB + 12345 bytes: 1 MiB random, 1 MiB of zeros, then numbered text lines (an odd tail). */
    static Path disk(Path dir, String name) {
        Path p = dir.resolve(name);
        Random rnd = new Random(name.hashCode());
        try (OutputStream out = Files.newOutputStream(p)) {
            byte[] r = new byte[1 << 20];
            rnd.nextBytes(r);
            out.write(r);
            out.write(new byte[1 << 20]);
            long left = (2L << 20) + 12345;
            for (int line = 0; left > 0; line++) {
                byte[] l = ("line " + line + " of the text part, " + rnd.nextInt(1000) + "\n").getBytes(StandardCharsets.US_ASCII);
                int n = (int) Math.min(l.length, left);
                out.write(l, 0, n);
                left -= n;
            }
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        return p;
    }

    /** {@code xz -k -T1 -3 [--block-size=N] [MORE...] disk}: DISK.xz (blockSize 0: xz's default, one block). */
    static Path xz(Path disk, long blockSize, String... more) {
        Clients.require("xz");
        Path out = disk.resolveSibling(disk.getFileName() + ".xz");
        java.util.List<String> a = new java.util.ArrayList<>(java.util.List.of("xz", "-k", "-f", "-T1", "-3"));
        if (blockSize > 0) a.add("--block-size=" + blockSize);
        a.addAll(java.util.List.of(more));
        a.add(disk.toString());
        Cmd.of(a).ok();
        return out;
    }

    /** The number of blocks {@code xz --list} sees. */
    static int xzBlocks(Path xz) {
        String out = Cmd.of("xz", "--robot", "--list", xz.toString()).ok().out();
        for (String line : out.split("\n")) {
            if (line.startsWith("totals\t")) return Integer.parseInt(line.split("\t")[2]);
        }
        throw new AssertionError("no totals in xz --list:\n" + out);
    }

    /** {@code gzip -k disk}: DISK.gz. */
    static Path gzip(Path disk) {
        Clients.require("gzip");
        Cmd.of("gzip", "-k", "-f", disk.toString()).ok();
        return disk.resolveSibling(disk.getFileName() + ".gz");
    }

    /** GNU {@code tar -cf TAR [--format=F] -C dir NAMES...}. */
    static Path tar(Path tar, String format, Path dir, String... names) {
        Clients.require("tar");
        java.util.List<String> a = new java.util.ArrayList<>(java.util.List.of("tar", "-cf", tar.toString()));
        if (format != null) a.add("--format=" + format);
        a.add("-C");
        a.add(dir.toString());
        a.addAll(java.util.List.of(names));
        Cmd.of(a).ok();
        return tar;
    }


    /** A copy of {@code p} with {@code n} bytes at {@code at} inverted. */
    static Path damaged(Path p, String name, long at, int n) {
        try {
            byte[] b = Files.readAllBytes(p);
            for (int i = 0; i < n; i++) b[(int) at + i] ^= (byte) 0xff;
            Path out = p.resolveSibling(name);
            Files.write(out, b);
            return out;
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** The first {@code n} bytes of {@code p}. */
    static Path truncated(Path p, String name, long n) {
        try {
            Path out = p.resolveSibling(name);
            Files.write(out, java.util.Arrays.copyOf(Files.readAllBytes(p), (int) n));
            return out;
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
