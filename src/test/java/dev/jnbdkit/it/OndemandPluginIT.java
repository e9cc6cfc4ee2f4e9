package dev.jnbdkit.it;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code ondemand}: one persistent filesystem per export name, created by mkfs (or
 * {@code command=}) in {@code dir=} on first use, locked while a client writes to it; side by side
 * with Debian's nbdkit for sizes, export lists, the lock, bad names and bad parameters.
 */
class OndemandPluginIT extends ItBase {

    Path exports(String name) {
        try {
            return Files.createDirectories(tmp.resolve(name));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** {@code impl -f -U SOCK ondemand dir=DIR ARGS} with mkfs on the PATH. */
    Server start(Server.Impl impl, Path dir, String... args) {
        Path sock = tmp.resolve(impl.name().toLowerCase() + "-" + System.nanoTime() + ".sock");
        List<String> a = new ArrayList<>(List.of("-f", "-U", sock.toString(), "ondemand", "dir=" + dir));
        a.addAll(List.of(args));
        return Server.launch(impl, a).socket(sock).env("PATH", Cmd.CLIENT_PATH).ready();
    }

    @Test
    void exportsAreCreatedOnceAndPersist() throws IOException {
        Clients.require("mke2fs");
        Path dir = exports("ours");
        Server s = start(Server.Impl.JNBDKIT, dir, "32M", "label=od");
        Cmd.of("nbdsh", "-u", s.uri("export1"), "-c", "h.pwrite(b'\\x5a' * 512, 16 << 20)").ok();
        assertEquals(32 << 20, Files.size(dir.resolve("export1")));
        assertEquals("od", TmpdiskPluginIT.ext4Label(dir.resolve("export1")));
        // the same export again (also after a restart): the data is still there
        s.stop();
        Server again = start(Server.Impl.JNBDKIT, dir, "32M");
        String back = Cmd.of("nbdsh", "-u", again.uri("export1"), "-c", "print(h.pread(2, 16 << 20).hex())").ok().out().strip();
        assertEquals("5a5a", back);
        // "" is the file "default"
        Cmd.of("nbdinfo", "--size", again.uri()).ok();
        assertTrue(Files.exists(dir.resolve("default")));
        Files.writeString(dir.resolve(".hidden"), "x");
        // the list: "" first, then every file a client could ask for, as nbdkit lists them
        Path theirsDir = exports("theirs");
        Server n = start(Server.Impl.NBDKIT, theirsDir, "32M");
        Cmd.of("nbdinfo", "--size", n.uri("export1")).ok();
        Cmd.of("nbdinfo", "--size", n.uri()).ok();
        Files.writeString(theirsDir.resolve(".hidden"), "x");
        assertEquals(Cmd.of("nbdinfo", "--list", "--json", n.uri()).ok().out().replace(n.socket().toString(), "SOCK"),
                Cmd.of("nbdinfo", "--list", "--json", again.uri()).ok().out().replace(again.socket().toString(), "SOCK"));
        assertEquals(Cmd.of("nbdinfo", "--size", n.uri("export1")).ok().out(),
                Cmd.of("nbdinfo", "--size", again.uri("export1")).ok().out());
    }

    /** A second writer is refused while the first is connected (or waits, with wait=true). */
    private static final String TWO_WRITERS = """
            import nbd, sys, threading, time
            a = nbd.NBD(); a.set_export_name("locked"); a.connect_unix(sys.argv[1])
            b = nbd.NBD(); b.set_export_name("locked")
            if sys.argv[2] == "wait":
                threading.Timer(1.0, a.shutdown).start()
                t = time.time(); b.connect_unix(sys.argv[1]); print("second connected after", time.time() - t >= 0.9)
            else:
                try:
                    b.connect_unix(sys.argv[1]); print("second connected")
                except nbd.Error as e:
                    print("second refused")
                a.shutdown()
                # the lock goes when the server has closed the first connection: a moment later
                for i in range(100):
                    try:
                        c = nbd.NBD(); c.set_export_name("locked"); c.connect_unix(sys.argv[1]); print("third connected")
                        break
                    except nbd.Error:
                        time.sleep(0.05)
            """;

    @Test
    void aWriterHasTheFilesystemAlone() {
        String cmd = "command=truncate -s $size \"$disk\"";
        for (Server.Impl impl : Server.Impl.values()) {
            Server s = start(impl, exports("d-" + impl), "1M", cmd);
            String out = ItBase.python(TWO_WRITERS, s.socket().toString(), "refuse").ok().out();
            assertEquals("second refused\nthird connected\n", out, impl.toString());
            s.stop();
            assertTrue(s.stderr().contains("locked: filesystem is locked by another client"), s.stderr());
            Server w = start(impl, exports("w-" + impl), "1M", cmd, "wait=true");
            assertEquals("second connected after True\n", ItBase.python(TWO_WRITERS, w.socket().toString(), "wait").ok().out(), impl.toString());
        }
    }

    @Test
    void commandAndVariablesAsNbdkit() {
        String cmd = "command=printf '%s %s' \"$who\" \"$size\" > \"$disk\"; truncate -s 100000 \"$disk\"";
        PluginDiff.Seen ours, theirs;
        Server s = start(Server.Impl.JNBDKIT, exports("o"), "1M", "who=me", cmd);
        ours = PluginDiff.look(s.uri("x"), tmp);
        Server n = start(Server.Impl.NBDKIT, exports("n"), "1M", "who=me", cmd);
        theirs = PluginDiff.look(n.uri("x"), tmp);
        assertEquals(theirs, ours);
        assertEquals(100000, ours.size());
        assertEquals(ItBase.python(resource("data/caps.py"), n.uri("y")).ok().out(),
                ItBase.python(resource("data/caps.py"), s.uri("y")).ok().out());
    }

    @Test
    void badNamesAndParametersAsNbdkit() {
        String cmd = "command=truncate -s $size \"$disk\"";
        Server s = start(Server.Impl.JNBDKIT, exports("o"), "1M", cmd);
        Server n = start(Server.Impl.NBDKIT, exports("n"), "1M", cmd);
        for (String name : List.of("a.b", "a:b", "..", "a/b", "x".repeat(256))) {
            for (Server srv : List.of(s, n)) {
                String script = "import nbd, sys\nh = nbd.NBD(); h.set_export_name(sys.argv[2])\n"
                        + "try:\n    h.connect_unix(sys.argv[1]); print('connected')\nexcept nbd.Error as e:\n    print('refused')\n";
                assertEquals("refused\n", ItBase.python(script, srv.socket().toString(), name).ok().out(), name);
            }
        }
        s.stop();
        n.stop();
        assertEquals(errors(n.stderr()), errors(s.stderr()));
        assertTrue(errors(s.stderr()).contains("invalid exportname \u2018a:b\u2019 rejected"), s.stderr());
        try (var files = Files.list(tmp.resolve("o"))) {
            assertFalse(files.findAny().isPresent(), "no file was made for a bad name");
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        Differential.assertSameRefusal("ondemand", "1M");
        Differential.assertSameRefusal("ondemand", "dir=" + tmp);
        Differential.assertSameRefusal("ondemand", "dir=" + tmp.resolve("nonexistent"), "1M");
        Differential.assertSameRefusal("ondemand", "dir=" + tmp, "1M", "wait=perhaps");
        Differential.assertSameRefusal("ondemand", "dir=" + tmp, "1M", "disk=x");
    }

    /** The plugin's refusals of export names (not nbdkit's own lines about clients going away). */
    private static String errors(String stderr) {
        StringBuilder out = new StringBuilder();
        for (String line : Differential.untagged(stderr).split("\n")) if (line.contains("invalid exportname")) out.append(line).append('\n');
        return out.toString();
    }
}
