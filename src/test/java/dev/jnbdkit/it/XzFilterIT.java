package dev.jnbdkit.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jnbdkit.it.Server.Impl;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * nbdkit-xz-filter through real clients over images made by {@code xz --block-size}, each
 * scenario under jnbdkit and Debian's nbdkit: the same bytes, flags, errors and messages.
 */
class XzFilterIT extends ArchiveFilterItBase {
    static final long K = 1024, M = 1 << 20;

    /** Random reads of every size across block boundaries, checked against the original by the client. */
    static String randomReads(Path original, int count) {
        return """
                import hashlib, random
                orig = open(%s, 'rb').read()
                assert size == len(orig), (size, len(orig))
                r = random.Random(5)
                for i in range(%d):
                    n = r.choice([1, 512, 4096, 65536, 200000, 1048576])
                    off = r.randrange(0, size - n)
                    got = h.pread(n, off)
                    assert got == orig[off:off + n], ("wrong data", off, n)
                h.cache(65536, 0)
                print("reads ok; sha256", hashlib.sha256(h.pread(size, 0)).hexdigest())
                print("flags: write", h.is_read_only() == 0, "extents", h.can_meta_context("base:allocation"),
                      "cache", h.can_cache(), "multi-conn", h.can_multi_conn())
                """.formatted("'" + original + "'", count);
    }

    /** A write, which a read-only export refuses. */
    static final String WRITE = "print(\"write:\", expect_err(\"EPERM\", lambda: h.pwrite(b\"x\", 0)))\n";

    @Test
    void randomAccessThroughTheIndex() {
        Path disk = ArchiveImages.disk(tmp, "disk.img");
        Path xz = ArchiveImages.xz(disk, 64 * K);
        assertTrue(ArchiveImages.xzBlocks(xz) > 60, "xz made small blocks");
        String out = same(args("--filter=xz", "file", xz.toString()), s -> info(s) + map(s) + py(s, randomReads(disk, 300) + WRITE));
        assertTrue(out.contains("reads ok; sha256 " + Differential.sha256(disk)), out);
        assertTrue(out.contains("write: EPERM"), out);
        assertTrue(out.contains("\"is_read_only\": true"), out);
        // No extents of its own: the whole disk is data.
        assertTrue(out.contains("         0     4206649    0  data"), out);
    }

    @Test
    void smallCachesAndCachesLargerThanTheFile() {
        Path disk = ArchiveImages.disk(tmp, "depth.img");
        Path xz = ArchiveImages.xz(disk, 256 * K);
        for (String depth : List.of("1", "2", "100")) {
            String out = same(args("--filter=xz", "file", xz.toString(), "xz-max-depth=" + depth), s -> py(s, randomReads(disk, 100)));
            assertTrue(out.contains("reads ok; sha256 " + Differential.sha256(disk)), depth + "\n" + out);
        }
    }

    @Test
    void nbdcopyAndQemuImg() {
        Path disk = ArchiveImages.disk(tmp, "copy.img");
        Path xz = ArchiveImages.xz(disk, M);
        for (Impl impl : Impl.values()) {
            Server s = start(impl, args("--filter=xz", "file", xz.toString()));
            Path out = tmp.resolve("out." + impl);
            Cmd.of("nbdcopy", "--connections=4", s.uri(), out.toString()).ok();
            assertFilesEqual(disk, out);
            Cmd.of("qemu-img", "compare", "-f", "raw", "-F", "raw", disk.toString(), s.uri()).ok();
            String info = Cmd.of("qemu-img", "info", "--output=json", "-f", "raw", s.uri()).ok().out();
            // qemu-img shows whole sectors
            assertEquals((sizeOf(disk) + 511) / 512 * 512, Json.parse(info).get("virtual-size").asLong(), info);
            s.stop();
        }
    }

    /** Streams one after another, with stream padding between them: one disk. */
    @Test
    void multipleStreamsAndPadding() throws IOException {
        Path a = ArchiveImages.disk(tmp, "a.img"), b = ArchiveImages.disk(tmp, "b.img");
        Path xa = ArchiveImages.xz(a, 128 * K), xb = ArchiveImages.xz(b, 300 * K);
        Path joined = tmp.resolve("joined.xz"), both = tmp.resolve("both.img");
        Files.write(joined, concat(Files.readAllBytes(xa), new byte[8], Files.readAllBytes(xb)));
        Files.write(both, concat(Files.readAllBytes(a), Files.readAllBytes(b)));
        String out = same(args("--filter=xz", "file", joined.toString()), s -> py(s, randomReads(both, 100)));
        assertTrue(out.contains("reads ok; sha256 " + Differential.sha256(both)), out);
    }

    /** xz's default: the whole file in one block; refused when that block is larger than xz-max-block. */
    @Test
    void oneLargeBlockAndXzMaxBlock() {
        Path disk = ArchiveImages.disk(tmp, "one.img");
        Path xz = ArchiveImages.xz(disk, 0);
        assertEquals(1, ArchiveImages.xzBlocks(xz));
        String out = same(args("--filter=xz", "file", xz.toString(), "xz-max-depth=1"), s -> py(s, randomReads(disk, 20)));
        assertTrue(out.contains("reads ok; sha256 " + Differential.sha256(disk)), out);
        String err = sameConnectError(args("--filter=xz", "file", xz.toString(), "xz-max-block=4M"));
        assertEquals("error: xz file largest block is bigger than maxblock\n"
                + "Either recompress the xz file with smaller blocks (see nbdkit-xz-filter(1))\n"
                + "or make maxblock parameter bigger.\n"
                + "maxblock = 4194304 (bytes)\n"
                + "largest block in xz file = " + sizeOf(disk) + " (bytes)", err);
        // exactly the block's size is allowed
        same(args("--filter=xz", "file", xz.toString(), "xz-max-block=" + sizeOf(disk)), s -> py(s, "print(size)"));
    }

    /** xz of an empty file: a stream with no blocks is an empty disk. */
    @Test
    void emptyFile() {
        Path empty = file("empty.img", 0);
        Path xz = ArchiveImages.xz(empty, 0);
        assertEquals("0\n", same(args("--filter=xz", "file", xz.toString()), s -> py(s, "print(size)")));
    }

    // ---- bad input -----------------------------------------------------------------------------

    @Test
    void notAnXzFile() {
        Path random = randomFile("random.bin", M, 3);
        assertEquals("error: xz: not an xz file", sameConnectError(args("--filter=xz", "file", random.toString())));
        Path tiny = ArchiveImages.truncated(random, "tiny.bin", 5);
        String err = connectErrors(Impl.JNBDKIT, args("--filter=xz", "file", tiny.toString()));
        assertEquals(err, connectErrors(Impl.NBDKIT, args("--filter=xz", "file", tiny.toString())));
        assertTrue(err.contains("error: xz: file too short"), err);
    }

    @Test
    void truncatedAndOddSizedFiles() {
        Path disk = ArchiveImages.disk(tmp, "cut.img");
        Path xz = ArchiveImages.xz(disk, 64 * K);
        long n = sizeOf(xz);
        Path odd = ArchiveImages.truncated(xz, "odd.xz", n - 3);
        assertEquals("error: xz: not an xz file: size is not a multiple of 4 bytes",
                sameConnectError(args("--filter=xz", "file", odd.toString())));
        // A multiple of 4 bytes but no stream footer at the end: both refuse the file at connect,
        // with liblzma's error number (7: LZMA_FORMAT_ERROR, 9: LZMA_DATA_ERROR).
        Path cut = ArchiveImages.truncated(xz, "cut.xz", (n / 2) & ~3L);
        assertEquals("error: xz: invalid stream footer (error 7)", sameConnectError(args("--filter=xz", "file", cut.toString())));
        // A damaged index (the last 16 bytes before the 12-byte footer), footer, stream header.
        Path index = ArchiveImages.damaged(xz, "index.xz", n - 12 - 16, 4);
        assertEquals("error: xz: could not parse index (error 9)", sameConnectError(args("--filter=xz", "file", index.toString())));
        Path footer = ArchiveImages.damaged(xz, "footer.xz", n - 12, 4);
        assertEquals("error: xz: invalid stream footer (error 9)", sameConnectError(args("--filter=xz", "file", footer.toString())));
        Path header = ArchiveImages.damaged(xz, "header.xz", 7, 1);
        assertEquals("error: xz: invalid stream header (error 9)", sameConnectError(args("--filter=xz", "file", header.toString())));
    }

    /** Every check type xz writes, and filter chains before LZMA2 (BCJ x86, delta): the same bytes. */
    @Test
    void checkTypesAndFilterChains() {
        Path disk = ArchiveImages.disk(tmp, "checks.img");
        for (List<String> opts : List.of(List.of("--check=none"), List.of("--check=crc32"), List.of("--check=sha256"),
                List.of("--x86", "--lzma2=preset=1"), List.of("--delta=dist=4", "--lzma2=preset=1"))) {
            Path xz = ArchiveImages.xz(disk, 200 * K, opts.toArray(String[]::new));
            String out = same(args("--filter=xz", "file", xz.toString()), s -> py(s, randomReads(disk, 40)));
            assertTrue(out.contains("reads ok; sha256 " + Differential.sha256(disk)), opts + "\n" + out);
        }
    }

    /** A damaged block under a CRC32 or SHA-256 check: that block's reads fail (EIO), the others read. */
    @Test
    void damagedBlockUnderEachCheck() {
        Path disk = ArchiveImages.disk(tmp, "crc.img");
        for (String check : List.of("crc32", "sha256")) {
            Path xz = ArchiveImages.xz(disk, 64 * K, "--check=" + check);
            Path bad = ArchiveImages.damaged(xz, "bad-" + check + ".xz", 30000, 4);
            Server ours = start(Impl.JNBDKIT, args("--filter=xz", "file", bad.toString()));
            String out = py(ours, """
                    orig = open(%s, 'rb').read()
                    print(expect_err("EIO", lambda: h.pread(4096, 8192)))
                    assert h.pread(65536, 65536) == orig[65536:131072]
                    print("rest ok")
                    """.formatted("'" + disk + "'"));
            assertEquals("EIO\nrest ok\n", out, check);
            assertTrue(ours.stderr().contains("error: xz: could not decompress block 0 (uncompressed offset 0): "
                    + "could not parse block data (error 9, LZMA_DATA_ERROR: compressed data is corrupt)"), ours.stderr());
            ours.stop();
        }
    }

    /**
     * Damaged data in one block: reads of that block fail with EIO, the rest of the disk reads.
     * jnbdkit alone: nbdkit 1.32 aborts on the first such read ({@code backend_pread: Assertion
     * `*err' failed}: its xz filter fails the read without an errno), which the test checks.
     */
    @Test
    void corruptBlockIsAnIoErrorForThatBlockOnly() {
        Path disk = ArchiveImages.disk(tmp, "bad.img");
        Path xz = ArchiveImages.xz(disk, 64 * K);
        // Inside block 0 (random data, stored): decoding goes on, the CRC64 check at its end fails.
        Path bad = ArchiveImages.damaged(xz, "bad.xz", 20000, 8);
        Cmd.Result theirs = Cmd.of(Server.NBDKIT, "-U", "-", "--filter=xz", "file", bad.toString(),
                "--run", "nbdcopy \"$uri\" null:").mergeOutput().run();
        assertTrue(theirs.exit() != 0 && theirs.out().contains("could not parse block data"), theirs.toString());
        Server ours = start(Impl.JNBDKIT, args("--filter=xz", "file", bad.toString()));
        String out = py(ours, """
                orig = open(%s, 'rb').read()
                print(expect_err("EIO", lambda: h.pread(4096, 0)))
                print(expect_err("EIO", lambda: h.pread(512, 65536 - 512)))
                assert h.pread(65536, 65536) == orig[65536:131072]
                assert h.pread(4096, 3 * 1048576) == orig[3 * 1048576:3 * 1048576 + 4096]
                print(expect_err("EIO", lambda: h.pread(4096, 0)))
                print("rest ok")
                """.formatted("'" + disk + "'"));
        assertEquals("EIO\nEIO\nEIO\nrest ok\n", out);
        assertTrue(ours.stderr().contains("error: xz: could not decompress block 0 (uncompressed offset 0): "), ours.stderr());
        ours.stop();
    }

    // ---- parameters ----------------------------------------------------------------------------

    @Test
    void badParameters() {
        badParameter("'xz-max-depth' parameter must be >= 1", "--filter=xz", "memory", "1M", "xz-max-depth=0");
        badParameter("xz-max-depth: negative numbers are not allowed", "--filter=xz", "memory", "1M", "xz-max-depth=-1");
        badParameter("xz-max-depth: empty string where we expected a number", "--filter=xz", "memory", "1M", "xz-max-depth=foo");
        badParameter("xz-max-depth: could not parse number: \"1k\": trailing garbage", "--filter=xz", "memory", "1M", "xz-max-depth=1k");
        badParameter("could not parse size string (foo)", "--filter=xz", "memory", "1M", "xz-max-block=foo");
        badParameter("size cannot be negative (-1)", "--filter=xz", "memory", "1M", "xz-max-block=-1");
    }

    @Test
    void helpAndThreadModel() {
        List<String> ours = FilterHelpIT.section(Impl.JNBDKIT, "xz"), theirs = FilterHelpIT.section(Impl.NBDKIT, "xz");
        assertEquals(theirs.get(0), ours.get(0));
        assertEquals(theirs.get(1), ours.get(1));
        // nbdkit 1.32's help says the cache depth defaults to 4; the 1.34 page (and the code) say 8.
        assertEquals(theirs.get(2).replace("(default: 4)", "(default: 8)"), ours.get(2));
        for (Impl impl : Impl.values()) {
            String dump = Server.command(impl, args("--filter=xz", "memory", "1M", "--dump-plugin")).ok().out();
            assertTrue(dump.contains("thread_model=serialize_requests\n"), impl + "\n" + dump);
        }
    }
}
