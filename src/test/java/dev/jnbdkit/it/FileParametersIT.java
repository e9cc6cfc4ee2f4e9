package dev.jnbdkit.it;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The file plugin's parameters of nbdkit 1.34 as nbdkit's own test scripts use them:
 * {@code directory=} (the long spelling of {@code dir=}), {@code fd=} and {@code dirfd=} (an
 * inherited descriptor, as {@code exec 6<>disk; nbdkit file fd=6} does), {@code cache=} and
 * {@code fadvise=}. Each is compared with Debian's nbdkit 1.32: where 1.32 has the parameter, the
 * same command line; where it does not ({@code fd=}, {@code dirfd=}), the equivalent path
 * parameter under nbdkit against the descriptor under jnbdkit.
 */
class FileParametersIT extends ItBase {

    private Path directory() {
        Path d = tmp.resolve("exports");
        try {
            Files.createDirectories(d);
            Files.createDirectories(d.resolve("subdir"));   // not an export
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
        randomFile("exports/a.img", 300_000, 1);
        randomFile("exports/b.img", 65_536, 2);
        file("exports/sparse.img", 1 << 20);
        return d;
    }

    /** Export name → size from {@code nbdinfo --list --json} (nbdkit lists in readdir order). */
    private static TreeMap<String, Long> exports(String uri) {
        TreeMap<String, Long> m = new TreeMap<>();
        for (Json e : nbdinfoJson("--list", uri).get("exports").items()) {
            m.put(e.get("export-name").asString(), e.get("export-size").asLong());
        }
        return m;
    }

    private static TreeMap<String, Long> exportsOf(Server.Impl impl, Path dir, String... args) {
        Path sock = dir.resolve(impl + "-" + System.nanoTime() + ".sock");
        Server s = Server.launch(impl, concat(List.of("-f", "-U", sock.toString()), args)).socket(sock).ready();
        try {
            return exports(s.uri());
        } finally {
            s.stop();
        }
    }

    private static List<String> concat(List<String> head, String... tail) {
        List<String> l = new java.util.ArrayList<>(head);
        l.addAll(List.of(tail));
        return l;
    }

    @Test
    void directoryIsDirUnderBothServers() {
        Path d = directory();
        TreeMap<String, Long> expected = new TreeMap<>(java.util.Map.of("a.img", 300_000L, "b.img", 65_536L,
                "sparse.img", 1L << 20));
        for (String key : new String[] {"dir=", "directory="}) {
            assertEquals(expected, exportsOf(Server.Impl.NBDKIT, tmp, "file", key + d), "nbdkit " + key);
            assertEquals(expected, exportsOf(Server.Impl.JNBDKIT, tmp, "file", key + d), "jnbdkit " + key);
        }
        // the same bytes for an export chosen by name
        Server s = Server.launch(Server.Impl.JNBDKIT, List.of("-f", "-U", sock().toString(), "file", "directory=" + d))
                .socket(sock()).ready();
        String uri = "nbd+unix:///a.img?socket=" + s.socket();
        Path copy = tmp.resolve("copy");
        Cmd.of("nbdcopy", uri, copy.toString()).ok();
        assertFilesEqual(d.resolve("a.img"), copy);
        s.stop();
        // refused the same way: a file given as the directory
        assertEquals("error: expecting a directory: " + d.resolve("a.img") + "\n",
                Differential.assertSameRefusal("file", "directory=" + d.resolve("a.img")));
    }

    /** {@code PROG -U - file ARGS --run RUN} in a shell that first runs {@code redirect} (e.g. {@code exec 6<>disk}). */
    private Cmd.Result withDescriptor(String program, String redirect, String run, String... args) {
        StringBuilder sh = new StringBuilder(redirect).append("; exec ").append(Transcript.quote(program))
                .append(" -U - file");
        for (String a : args) sh.append(' ').append(Transcript.quote(a));
        sh.append(" --run ").append(Transcript.quote(run));
        return Cmd.sh(sh.toString()).dir(tmp).run();
    }

    @Test
    void fdServesTheInheritedFileLikeFileDoesUnderNbdkit() throws Exception {
        Path disk = randomFile("disk.img", 2 << 20, 3);
        Path copy = tmp.resolve("copy.img");
        Files.copy(disk, copy);
        // nbdkit 1.32 has no fd=: it must serve the file by name as jnbdkit serves the descriptor
        PluginDiff.Seen theirs = PluginDiff.see(Server.NBDKIT, tmp, "file", disk.toString());
        Cmd.Result r = withDescriptor(Server.program(), "exec 6<>" + Transcript.quote(copy.toString()),
                "nbdinfo --size \"$uri\" && nbdcopy \"$uri\" - | sha256sum && nbdinfo --map \"$uri\"", "fd=6").ok();
        assertEquals(theirs.size() + "\n" + theirs.sha256() + "  -\n" + theirs.map(), r.out());
        // writes through the descriptor land in the file
        withDescriptor(Server.program(), "exec 6<>" + Transcript.quote(copy.toString()),
                "qemu-io -f raw -c 'write -P 0x5a 4096 8192' \"$uri\"", "fd=6").ok();
        byte[] now = Files.readAllBytes(copy);
        for (int i = 4096; i < 4096 + 8192; i++) assertEquals(0x5a, now[i] & 0xff, "byte " + i);
        assertEquals(Files.readAllBytes(disk)[0], now[0]);
    }

    @Test
    void dirfdServesTheInheritedDirectoryLikeDirDoesUnderNbdkit() {
        Path d = directory();
        TreeMap<String, Long> theirs = exportsOf(Server.Impl.NBDKIT, tmp, "file", "dir=" + d);
        Cmd.Result r = withDescriptor(Server.program(), "exec 6<" + Transcript.quote(d.toString()),
                "nbdinfo --list --json \"$uri\" && nbdcopy \"nbd+unix:///b.img?socket=$unixsocket\" b.copy", "dirfd=6").ok();
        TreeMap<String, Long> ours = new TreeMap<>();
        for (Json e : Json.parse(r.out()).get("exports").items()) {
            ours.put(e.get("export-name").asString(), e.get("export-size").asLong());
        }
        assertEquals(theirs, ours);
        assertFilesEqual(d.resolve("b.img"), tmp.resolve("b.copy"));
    }

    @Test
    void descriptorMistakesGetNbdkit134sMessages() {
        Path disk = file("disk.img", 4096);
        String[][] cases = {
            {"fd=2", "file descriptor must be > 2 because stdin, stdout and stderr are reserved for nbdkit"},
            {"dirfd=2", "file descriptor must be > 2 because stdin, stdout and stderr are reserved for nbdkit"},
            {"fd=7", "fd is not regular or block device"},           // not open
            {"dirfd=7", "dirfd is not a directory"},                 // not open
            {"dirfd=6", "dirfd is not a directory"},                 // a file, not a directory
        };
        for (String[] c : cases) {
            Cmd.Result r = withDescriptor(Server.program(), "exec 6<" + Transcript.quote(disk.toString()), "true", c[0]).exit(1);
            assertEquals("error: " + c[1] + "\n", Differential.message(r.err()), c[0]);
            // nbdkit 1.32 refuses these too, but as an unknown parameter: fd= and dirfd= are 1.34's
            Cmd.Result n = withDescriptor(Server.NBDKIT, "exec 6<" + Transcript.quote(disk.toString()), "true", c[0]).exit(1);
            assertEquals("error: unknown parameter '" + c[0].substring(0, c[0].indexOf('=')) + "'\n", Differential.message(n.err()));
        }
        // nbdkit 1.34: one of file, dir/directory, fd, dirfd, once (nbdkit 1.32: "file= and dir= cannot be used at
        // the same time", and a second file= wins)
        for (String[] pair : new String[][] {{"fd=7", "dirfd=6"}, {disk.toString(), "dir=" + tmp},
                {"directory=" + tmp, "fd=6"}, {"file=" + disk, "file=" + disk}}) {
            Cmd.Result r = Server.command(concat(List.of("-U", "-", "file"), pair[0], pair[1], "--run", "true")).exit(1);
            assertEquals("error: file|dir|fd|dirfd parameter can only appear once on the command line\n",
                    Differential.message(r.err()), List.of(pair).toString());
        }
        assertEquals("error: you must supply either [file=]<FILENAME> or dir=<DIRNAME> parameter after the plugin name "
                + "on the command line\n", Differential.assertSameRefusal("file"));
    }

    @Test
    void cacheAndFadviseAsNbdkit() throws Exception {
        Path disk = randomFile("cached.img", 4 << 20, 4);
        for (String[] extra : new String[][] {{"cache=none"}, {"cache=default"}, {"fadvise=random"},
                {"fadvise=sequential", "cache=none"}, {"fadvise=normal"}}) {
            PluginDiff.assertSameDisk(tmp, concat(List.of("file", disk.toString()), extra).toArray(String[]::new));
        }
        assertEquals("error: unknown cache mode: bogus\n", Differential.assertSameRefusal("file", disk.toString(), "cache=bogus"));
        assertEquals("error: unknown fadvise mode: bogus\n", Differential.assertSameRefusal("file", disk.toString(), "fadvise=bogus"));

        // cache=none keeps what a client reads out of the page cache; the default leaves it there.
        // fadvise=random turns the kernel's read-ahead off: with it on, a read-ahead started for one
        // connection can bring back pages another connection has just read and dropped, under either
        // server, and the count would depend on timing (CI once saw 512 KiB left under jnbdkit).
        for (Server.Impl impl : Server.Impl.values()) {
            assertEquals(0, residentAfterRead(impl, disk, "cache=none", "fadvise=random"), impl + " cache=none");
            assertEquals(4 << 20, residentAfterRead(impl, disk, "cache=default"), impl + " cache=default");
        }
    }

    /** Bytes of {@code disk} in the page cache after a client read it all through the server. */
    private long residentAfterRead(Server.Impl impl, Path disk, String... params) {
        // start cold: write back and drop the file's pages
        ItBase.python("import os\nfd = os.open('" + disk + "', os.O_RDONLY)\nos.fsync(fd)\n"
                + "os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)\n").ok();
        assertEquals(0, resident(disk), "the file's pages could not be dropped before the test");
        List<String> args = new ArrayList<>(List.of("-U", "-", "file", disk.toString()));
        args.addAll(List.of(params));
        args.addAll(List.of("--run", "nbdcopy \"$uri\" null:"));
        Cmd.Result r = Server.command(impl, args.toArray(String[]::new)).ok();
        assertTrue(r.err().isEmpty() || !r.err().contains("error"), r.err());
        return resident(disk);
    }

    private static long resident(Path file) {
        return Long.parseLong(Cmd.of("fincore", "--bytes", "--noheadings", "--output", "RES", file.toString())
                .ok().out().strip());
    }
}
