package dev.jnbdkit.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jnbdkit.it.Server.Impl;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * nbdkit-tar-filter through real clients over archives made by GNU tar, each scenario under
 * jnbdkit and Debian's nbdkit: the same bytes, flags and writes landing at the same place in the
 * tar file; and alone what nbdkit 1.32 lacks or gets wrong (tar-limit, members with long names).
 */
class TarFilterIT extends ArchiveFilterItBase {
    /** A directory with a README, the disk and another file, tarred in {@code format}. */
    Path archive(String name, String format) {
        Path dir = tmp.resolve("src-" + name);
        try {
            Files.createDirectories(dir.resolve("sub"));
            Files.writeString(dir.resolve("README"), "the first member\n");
            ArchiveImages.disk(dir, "disk.img");
            Files.write(dir.resolve("sub/other.img"), new byte[3000]);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        return ArchiveImages.tar(tmp.resolve(name), format, dir, "README", "disk.img", "sub");
    }

    @Test
    void servesTheMemberInPlace() {
        for (String format : new String[] {"gnu", "ustar", "posix"}) {
            Path tar = archive("disk-" + format + ".tar", format);
            Path disk = tmp.resolve("src-disk-" + format + ".tar/disk.img");
            // can_fast_zero is left out: the file plugins differ on it (jnbdkit's advertises fast
            // zero on a regular file, nbdkit 1.32's does not), with or without the filter.
            String out = same(args("--filter=tar", "file", tar.toString(), "tar-entry=disk.img"),
                    s -> info(s).replaceAll("\t\"can_fast_zero\": (true|false),\n", "") + map(s)
                            + py(s, XzFilterIT.randomReads(disk, 100)));
            assertTrue(out.contains("reads ok; sha256 " + Differential.sha256(disk)), format + "\n" + out);
            assertTrue(out.contains("\"is_read_only\": false"), out);
            String sub = same(args("--filter=tar", "file", tar.toString(), "tar-entry=sub/other.img"), s -> py(s, """
                    print(size, h.pread(size, 0) == bytes(size))
                    """));
            assertEquals("3000 True\n", sub, format);
        }
    }

    /** Writes, zeroes and trims change the member's bytes in the tar file, and only those. */
    @Test
    void writesLandInTheTarFile() throws IOException {
        Path tar = archive("w.tar", null);
        byte[] before = Files.readAllBytes(tar);
        byte[][] after = new byte[2][];
        for (Impl impl : Impl.values()) {
            Path c = copy(tar, impl);
            Server s = start(impl, args("--filter=tar", "file", c.toString(), "tar-entry=disk.img"));
            py(s, """
                    h.pwrite(b"A" * 4096, 0)
                    h.pwrite(b"B" * 1000, size - 1000, nbd.CMD_FLAG_FUA)
                    h.zero(65536, 1048576)
                    h.trim(65536, 2 * 1048576)
                    h.flush()
                    print(expect_err("ENOSPC", lambda: h.pwrite(b"z", size)))
                    """);
            s.stop();
            after[impl.ordinal()] = Files.readAllBytes(c);
            // GNU tar still reads the archive, and the member has the new bytes.
            Path x = Files.createDirectories(tmp.resolve("x-" + impl));
            Cmd.of("tar", "-xf", c.toString(), "-C", x.toString()).ok();
            byte[] member = Files.readAllBytes(x.resolve("disk.img"));
            assertArrayEquals("A".repeat(4096).getBytes(), Arrays.copyOf(member, 4096), impl.toString());
            assertArrayEquals("B".repeat(1000).getBytes(), Arrays.copyOfRange(member, member.length - 1000, member.length));
            assertArrayEquals(new byte[65536], Arrays.copyOfRange(member, 1048576, 1048576 + 65536));
            assertEquals("the first member\n", Files.readString(x.resolve("README")));
        }
        assertArrayEquals(after[Impl.NBDKIT.ordinal()], after[Impl.JNBDKIT.ordinal()], "the tar files differ after the same writes");
        assertEquals(before.length, after[0].length);
    }

    @Test
    void readOnlyWithR() {
        Path tar = archive("ro.tar", null);
        String out = same(args("-r", "--filter=tar", "file", tar.toString(), "tar-entry=README"), s -> py(s, """
                print(size, h.pread(size, 0))
                print(expect_err("EPERM", lambda: h.pwrite(b"x", 0)))
                """));
        assertEquals("17 bytearray(b'the first member\\n')\nEPERM\n", out);
    }

    /** A compressed tar file through the gzip or xz filter below. */
    @Test
    void compressedTarFiles() {
        Path tar = archive("c.tar", null);
        Path disk = tmp.resolve("src-c.tar/disk.img");
        for (String f : new String[] {"gzip", "xz"}) {
            Path z = f.equals("gzip") ? ArchiveImages.gzip(tar) : ArchiveImages.xz(tar, 256 * 1024);
            String out = same(args("--filter=tar", "--filter=" + f, "file", z.toString(), "tar-entry=disk.img"),
                    s -> py(s, XzFilterIT.randomReads(disk, 50)));
            assertTrue(out.contains("reads ok; sha256 " + Differential.sha256(disk)), f + "\n" + out);
        }
    }

    // ---- bad input -----------------------------------------------------------------------------

    @Test
    void missingMember() {
        Path tar = archive("m.tar", null);
        List<String> a = args("--filter=tar", "file", tar.toString(), "tar-entry=nosuch.img");
        assertEquals("error: tar: 'nosuch.img' not found in the tar file: check that the file really exists in the tarball (tar tf FILE)",
                connectErrors(Impl.JNBDKIT, a));
        assertEquals("error: tar subcommand failed, check that the file really exists in the tarball", connectErrors(Impl.NBDKIT, a));
    }

    @Test
    void notATarFile() {
        Path random = randomFile("random.bin", 1 << 20, 6);
        List<String> a = args("--filter=tar", "file", random.toString(), "tar-entry=disk.img");
        String ours = connectErrors(Impl.JNBDKIT, a);
        assertTrue(ours.startsWith("error: tar: offset 0: not a tar header"), ours);
        assertTrue(connectErrors(Impl.NBDKIT, a).contains("error: tar subcommand failed"));
    }

    @Test
    void truncatedArchive() {
        Path tar = archive("t.tar", null);
        Path cut = ArchiveImages.truncated(tar, "cut.tar", 512 + 512 + 512 + 100_000);
        String ours = connectErrors(Impl.JNBDKIT, args("--filter=tar", "file", cut.toString(), "tar-entry=disk.img"));
        assertTrue(ours.contains("truncated archive"), ours);
    }

    @Test
    void badParameters() {
        badParameter("you must supply the tar-entry=<FILENAME> parameter", "--filter=tar", "memory", "1M");
        badParameter("only one tar-entry parameter can be given", "--filter=tar", "memory", "1M", "tar-entry=a", "tar-entry=b");
        // tar= names GNU tar for nbdkit; accepted (and not needed) here
        runServer("-U", "-", "--filter=tar", "memory", "1M", "tar-entry=a", "tar=gtar", "--run", "true").ok();
    }

    // ---- jnbdkit alone ---------------------------------------------------------------------------

    /** tar-limit (not in nbdkit 1.32, which refuses the parameter): headers beyond it are not looked at. */
    @Test
    void tarLimit() {
        Path tar = archive("l.tar", null);
        // README: header + 1 block; disk.img's header is at 1024
        String ok = Server.captive("nbdinfo --size \"$uri\"", "--filter=tar", "file", tar.toString(), "tar-entry=disk.img",
                "tar-limit=1536").ok().out();
        assertEquals("4206649\n", ok);
        Server s = start(Impl.JNBDKIT, args("--filter=tar", "file", tar.toString(), "tar-entry=disk.img", "tar-limit=1535"));
        assertTrue(Cmd.of("nbdinfo", s.uri()).run().exit() != 0);
        assertTrue(String.join("\n", errors(s)).contains("not found in the first 1535 bytes of the tar file (tar-limit)"), s.stderr());
        s.stop();
        Cmd.Result r = Server.command(Impl.NBDKIT, args("-U", "-", "--filter=tar", "memory", "1M", "tar-entry=a", "tar-limit=1M",
                "--run", "true")).exit(1);
        assertTrue(r.err().contains("unknown parameter 'tar-limit'"), r.toString());
        badParameter2("could not parse size string (x)", "--filter=tar", "memory", "1M", "tar-entry=a", "tar-limit=x");
    }

    /**
     * A member whose name needs a GNU long-name header: jnbdkit serves its data; nbdkit 1.32 takes
     * GNU tar's block number, which is that of the long-name header, and serves the wrong bytes.
     * With a pax header (--format=posix) both are right.
     */
    @Test
    void longNames() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("long").resolve("d".repeat(60)).resolve("e".repeat(60)));
        Path disk = ArchiveImages.disk(dir, "disk-with-a-long-path.img");
        for (String format : new String[] {"gnu", "posix"}) {
            Path tar = ArchiveImages.tar(tmp.resolve("long-" + format + ".tar"), format, tmp.resolve("long"), "d".repeat(60));
            String entry = "d".repeat(60) + "/" + "e".repeat(60) + "/disk-with-a-long-path.img";
            String ours = Server.captive(
                    "nbdcopy \"$uri\" " + tmp.resolve("long-out-" + format), "--filter=tar", "file", tar.toString(), "tar-entry=" + entry).ok().out();
            assertEquals("", ours);
            assertFilesEqual(disk, tmp.resolve("long-out-" + format));
            Path theirs = tmp.resolve("theirs-" + format);
            Cmd.of(Server.NBDKIT, "-U", "-", "--filter=tar", "file", tar.toString(), "tar-entry=" + entry,
                    "--run", "nbdcopy \"$uri\" " + theirs).ok();
            if (format.equals("gnu")) {
                // nbdkit 1.32 serves the bytes from the long-name header on
                assertNotEquals(Differential.sha256(disk), Differential.sha256(theirs), "nbdkit 1.32 got the GNU long name right");
            } else {
                // GNU tar's block number for a pax member is that of its own header: nbdkit is right
                assertFilesEqual(disk, theirs);
            }
        }
    }

    /** A start-up error under jnbdkit alone (nbdkit 1.32 has no such parameter). */
    static void badParameter2(String message, String... args) {
        Cmd.Result r = Server.command(Impl.JNBDKIT, List.of(args)).exit(1);
        assertTrue(r.err().contains(Impl.JNBDKIT.progname() + ": error: " + message), r.toString());
    }

    @Test
    void helpAndThreadModel() {
        List<String> ours = FilterHelpIT.section(Impl.JNBDKIT, "tar"), theirs = FilterHelpIT.section(Impl.NBDKIT, "tar");
        assertEquals(theirs.get(0), ours.get(0));
        assertEquals(theirs.get(1), ours.get(1));
        assertTrue(ours.get(2).startsWith("tar-limit=<SIZE>"), ours.toString());
        assertTrue(ours.get(3).startsWith("tar=<PATH>"), ours.toString());
        for (Impl impl : Impl.values()) {
            String dump = Server.command(impl, args("--filter=tar", "memory", "1M", "tar-entry=a", "--dump-plugin")).ok().out();
            assertTrue(dump.contains("thread_model=parallel\n"), impl + "\n" + dump);
        }
    }
}
