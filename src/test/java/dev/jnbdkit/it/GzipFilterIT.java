package dev.jnbdkit.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jnbdkit.it.Server.Impl;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * nbdkit-gzip-filter through real clients over files made by {@code gzip}, each scenario under
 * jnbdkit and Debian's nbdkit: the same bytes, flags, errors and messages; the uncompressed copy in
 * an unlinked file in $TMPDIR.
 */
class GzipFilterIT extends ArchiveFilterItBase {
    @Test
    void servesTheUncompressedDisk() {
        Path disk = ArchiveImages.disk(tmp, "disk.img");
        Path gz = ArchiveImages.gzip(disk);
        String out = same(args("--filter=gzip", "file", gz.toString()), s -> info(s) + map(s) + py(s, XzFilterIT.randomReads(disk, 200) + XzFilterIT.WRITE));
        assertTrue(out.contains("reads ok; sha256 " + Differential.sha256(disk)), out);
        assertTrue(out.contains("write: EPERM"), out);
        assertTrue(out.contains("\"is_read_only\": true"), out);
        assertTrue(out.contains("         0     4206649    0  data"), out);
    }

    @Test
    void nbdcopyAndQemuImgWithManyConnections() {
        Path disk = ArchiveImages.disk(tmp, "copy.img");
        Path gz = ArchiveImages.gzip(disk);
        for (Impl impl : Impl.values()) {
            Server s = start(impl, args("--filter=gzip", "file", gz.toString()));
            Path out = tmp.resolve("out." + impl);
            // four connections at once: the first decompresses, the others wait and share it
            Cmd.of("nbdcopy", "--connections=4", s.uri(), out.toString()).ok();
            assertFilesEqual(disk, out);
            Cmd.of("qemu-img", "compare", "-f", "raw", "-F", "raw", disk.toString(), s.uri()).ok();
            s.stop();
        }
    }

    /** The uncompressed copy is an unlinked file in $TMPDIR, as large as the disk. */
    @Test
    void temporaryFileInTmpdir() throws IOException {
        Path disk = ArchiveImages.disk(tmp, "t.img");
        Path gz = ArchiveImages.gzip(disk);
        for (Impl impl : Impl.values()) {
            Path dir = Files.createDirectories(tmp.resolve("tmpdir-" + impl));
            List<String> argv = new ArrayList<>(List.of("/usr/bin/env", "TMPDIR=" + dir, impl.command(), "-f", "-U",
                    sock(impl.name()).toString(), "--filter=gzip", "file", gz.toString()));
            Server s = Server.startAndWait(argv, sock(impl.name()), 0);
            py(s, "h.pread(4096, 0)");
            long allocated = CacheFilterIT.allocatedBytesOfDeletedFileIn(s, dir);
            assertTrue(allocated >= sizeOf(disk) / 2, impl + ": " + allocated);
            try (var left = Files.list(dir)) {
                assertEquals(List.of(), left.toList(), impl + " left a name in TMPDIR");
            }
            s.stop();
        }
    }

    @Test
    void unusableTmpdirFailsTheConnection() {
        Path gz = ArchiveImages.gzip(ArchiveImages.disk(tmp, "u.img"));
        for (Impl impl : Impl.values()) {
            List<String> argv = new ArrayList<>(List.of("/usr/bin/env", "TMPDIR=/nonexistent-tmpdir", impl.command(), "-f", "-U",
                    sock(impl.name()).toString(), "--filter=gzip", "file", gz.toString()));
            Server s = Server.startAndWait(argv, sock(impl.name()), 0);
            Cmd.Result r = Cmd.of("nbdinfo", s.uri()).run();
            assertTrue(r.exit() != 0, r.toString());
            assertEquals(List.of("error: mkostemp: /nonexistent-tmpdir: No such file or directory"),
                    List.copyOf(messages(s.stderr())), impl.toString());
            s.stop();
        }
    }

    // ---- bad input -----------------------------------------------------------------------------

    @Test
    void notGzip() {
        Path random = randomFile("random.bin", 1 << 20, 4);
        assertEquals("error: gzip: inflate: incorrect header check", sameConnectError(args("--filter=gzip", "file", random.toString())));
    }

    @Test
    void damagedData() {
        Path gz = ArchiveImages.gzip(ArchiveImages.disk(tmp, "bad.img"));
        long n = sizeOf(gz);
        // The CRC-32 in the trailer, then the length.
        assertEquals("error: gzip: inflate: incorrect data check",
                sameConnectError(args("--filter=gzip", "file", ArchiveImages.damaged(gz, "crc.gz", n - 8, 1).toString())));
        assertEquals("error: gzip: inflate: incorrect length check",
                sameConnectError(args("--filter=gzip", "file", ArchiveImages.damaged(gz, "len.gz", n - 1, 1).toString())));
        // Damage inside the deflate data: zlib's message, whatever it is, under both.
        String err = sameConnectError(args("--filter=gzip", "file", ArchiveImages.damaged(gz, "mid.gz", n / 2, 16).toString()));
        assertTrue(err.startsWith("error: gzip: inflate: "), err);
    }

    @Test
    void truncatedFile() {
        Path gz = ArchiveImages.gzip(ArchiveImages.disk(tmp, "cut.img"));
        Path cut = ArchiveImages.truncated(gz, "cut.gz", sizeOf(gz) / 2);
        // zlib's Z_BUF_ERROR, which has no text: nbdkit's "unknown error"
        assertEquals("error: gzip: inflate: unknown error: -5", sameConnectError(args("--filter=gzip", "file", cut.toString())));
        Path empty = ArchiveImages.truncated(gz, "empty.gz", 0);
        assertEquals("error: gzip: inflate: unknown error: -5", sameConnectError(args("--filter=gzip", "file", empty.toString())));
    }

    @Test
    void helpAndThreadModel() {
        List<String> ours = FilterHelpIT.section(Impl.JNBDKIT, "gzip"), theirs = FilterHelpIT.section(Impl.NBDKIT, "gzip");
        assertEquals(theirs, ours);
        for (Impl impl : Impl.values()) {
            String dump = Server.command(impl, args("--filter=gzip", "memory", "1M", "--dump-plugin")).ok().out();
            assertTrue(dump.contains("thread_model=parallel\n"), impl + "\n" + dump);
        }
    }
}
