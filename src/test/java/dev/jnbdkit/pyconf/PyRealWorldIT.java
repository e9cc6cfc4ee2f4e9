package dev.jnbdkit.pyconf;

import dev.jnbdkit.it.Server.Impl;
import dev.jnbdkit.it.Server;
import dev.jnbdkit.pyconf.Servers.Spec;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * nbdkit Python plugins "written by someone else" (src/test/resources/pyconf/realworld/, in the
 * style of nbdkit's upstream examples), run unchanged under both servers at the same time and
 * compared with the tools a user would reach for: nbdinfo, qemu-io, nbdcopy, qemu-img compare
 * and qemu-img map.
 */
class PyRealWorldIT extends PyConfBase {
    static String realworld(String name) { return Servers.RES.resolve("realworld").resolve(name).toString(); }

    static String run(Server s, String... cmd) throws Exception {
        Servers.Run r = Servers.run(s, List.of(cmd));
        assertEquals(0, r.status(), String.join(" ", cmd) + ":\n" + r.out() + (s == null ? "" : "\nserver log:\n" + s.log()));
        return r.out();
    }

    static String qemuIo(Server s, String uri, String... cmds) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of("qemu-io", "-f", "raw"));
        for (String c : cmds) { cmd.add("-c"); cmd.add(c); }
        cmd.add(uri);
        Servers.Run r = Servers.run(s, cmd);
        assertEquals(0, r.status(), r.out());
        return r.out().lines().filter(l -> !l.contains(" sec ")).reduce("", (a, b) -> a + b + "\n");
    }

    @Test
    void ramdisks() throws Exception {
        Spec spec = new Spec(realworld("ramdisks.py"), "disks=boot:1M,data:4M,scratch:512K");
        try (Server n = Servers.startOk(Impl.NBDKIT, tmp, spec); Server j = Servers.startOk(Impl.JNBDKIT, tmp, spec)) {
            assertEquals(run(n, "nbdinfo", "--list", "--json", n.uri()), run(j, "nbdinfo", "--list", "--json", j.uri()));
            for (Server s : List.of(n, j)) {
                String out = qemuIo(s, s.uri("data"), "write -P 0x11 0 1M", "write -f -P 0x22 3M 64k",
                        "write -z 1M 1M", "discard 2M 4k", "read -P 0x22 3M 64k")
                        + qemuIo(s, s.uri("boot"), "write -P 0x33 4k 4k", "read -P 0 0 4k", "read -P 0x33 4k 4k");
                assertEquals(0, out.indexOf("wrote"), out);
                assertEquals(-1, out.indexOf("fail"), out);
            }
            for (String export : List.of("boot", "data", "scratch")) {
                assertContains(run(null, "qemu-img", "compare", "-f", "raw", "-F", "raw", n.uri(export), j.uri(export)),
                        "Images are identical.");
                Path a = tmp.resolve("n-" + export), b = tmp.resolve("j-" + export);
                run(null, "nbdcopy", n.uri(export), a.toString());
                run(null, "nbdcopy", j.uri(export), b.toString());
                assertEquals(-1, Files.mismatch(a, b), export);
            }
            // nbdcopy from nbdkit's disk straight into jnbdkit's (same size: data is 4M on both)
            qemuIo(n, n.uri("data"), "write -P 0x44 512k 256k");
            run(null, "nbdcopy", n.uri("data"), j.uri("data"));
            assertContains(run(null, "qemu-img", "compare", "-f", "raw", "-F", "raw", n.uri("data"), j.uri("data")),
                    "Images are identical.");
        }
    }

    @Test
    void tarMember() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("tar"));
        byte[] disk = new byte[3 * 1024 * 1024 + 1536];   // not a multiple of the tar record size
        new Random(7).nextBytes(disk);
        Files.write(dir.resolve("disk.img"), disk);
        Files.writeString(dir.resolve("README"), "an archive with a disk image\n");
        run(null, "tar", "-C", dir.toString(), "-cf", tmp.resolve("images.tar").toString(), "README", "disk.img");
        Spec spec = new Spec(realworld("tarmember.py"), "tar=" + tmp.resolve("images.tar"), "member=disk.img");
        try (Server n = Servers.startOk(Impl.NBDKIT, tmp, spec); Server j = Servers.startOk(Impl.JNBDKIT, tmp, spec)) {
            assertEquals(run(n, "nbdinfo", "--json", n.uri()), run(j, "nbdinfo", "--json", j.uri()));
            assertContains(run(j, "nbdinfo", "--json", j.uri()), "\"description\": \"disk.img from images.tar\"");
            for (Server s : List.of(n, j)) {
                Path out = tmp.resolve(s.impl() + ".img");
                run(null, "nbdcopy", s.uri(), out.toString());
                assertEquals(-1, Files.mismatch(out, dir.resolve("disk.img")), s.impl().toString());
                assertEquals(Servers.probe(n, "-", "write:0:512:1", "cache:0:4096", "read:1048000:4096"),
                        Servers.probe(s, "-", "write:0:512:1", "cache:0:4096", "read:1048000:4096"));
            }
            assertContains(run(null, "qemu-img", "compare", "-f", "raw", "-F", "raw", n.uri(), j.uri()),
                    "Images are identical.");
        }
    }

    @Test
    void sparsePattern() throws Exception {
        Spec spec = new Spec(realworld("sparsepattern.py"), "size=16M", "percent=20", "seed=42");
        try (Server n = Servers.startOk(Impl.NBDKIT, tmp, spec); Server j = Servers.startOk(Impl.JNBDKIT, tmp, spec)) {
            assertEquals(run(n, "nbdinfo", "--json", n.uri()), run(j, "nbdinfo", "--json", j.uri()));
            assertEquals(run(n, "qemu-img", "map", "--output=json", "-f", "raw", n.uri()),
                    run(j, "qemu-img", "map", "--output=json", "-f", "raw", j.uri()));
            assertEquals(run(n, "nbdinfo", "--map", n.uri()), run(j, "nbdinfo", "--map", j.uri()));
            assertContains(run(null, "qemu-img", "compare", "-f", "raw", "-F", "raw", n.uri(), j.uri()),
                    "Images are identical.");
            Path a = tmp.resolve("n.img"), b = tmp.resolve("j.img");
            run(null, "nbdcopy", n.uri(), a.toString());
            run(null, "nbdcopy", j.uri(), b.toString());
            assertEquals(-1, Files.mismatch(a, b));
            assertEquals(Servers.probe(n, "-", "read:8:16", "read:65531:11", "extents:0:1048576:reqone"),
                    Servers.probe(j, "-", "read:8:16", "read:65531:11", "extents:0:1048576:reqone"));
        }
    }
}
