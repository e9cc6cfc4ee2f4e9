package dev.jnbdkit.pyconf;

import dev.jnbdkit.it.Server.Impl;
import dev.jnbdkit.it.Cmd;
import dev.jnbdkit.it.Server;
import dev.jnbdkit.pyconf.Servers.Spec;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The nbdkit module: parse_size, export_name, shutdown, disconnect; constants' values. */
class PyModuleIT extends PyConfBase {
    static final List<String> SIZES = List.of("a=0", "b=1", "c=512", "d=1K", "e=1k", "f=1M", "g=1G", "h=1T",
            "i=1P", "j=1E", "k=8E", "l=1b", "m=1s", "n=bad", "o=-1", "p=1.5M", "q=", "r= 1M", "s=1KiB", "t=0x10",
            "u=010", "v=2m", "w=1e");

    @Test
    void parseSize() throws Exception {
        Obs j = sameWithTrace(new Spec("module.py", SIZES.toArray(String[]::new)), l -> l.startsWith("parse_size"),
                s -> "");
        assertLine(j.trace(), "parse_size '1M' -> 1048576");
        assertLine(j.trace(), "parse_size '1s' -> 512");
        assertLine(j.trace(), "parse_size 'bad' -> ValueError");
        assertLine(j.trace(), "parse_size '8E' -> ValueError");
    }

    @Test
    void exportNameAsTheClientAsked() throws Exception {
        Obs j = sameWithTrace(new Spec("module.py"), l -> l.startsWith("export_name"), s ->
                Servers.probe(s, "-", "read:0:512") + Servers.probe(s, "disk-ü/1", "read:0:512")
                        + Servers.probe(s, "with space", "read:0:512"));
        assertEquals("export_name str ''\nexport_name str 'disk-ü/1'\nexport_name str 'with space'",
                filter(j.trace(), l -> l.startsWith("export_name")));
    }

    /** shutdown() in a callback: the server exits by itself (status 0) and cleanup() runs. */
    @Test
    void shutdownStopsTheServer() throws Exception {
        for (Impl impl : Impl.values()) {
            try (Server s = Servers.startOk(impl, Files.createTempDirectory(tmp, "s"), new Spec("module.py"))) {
                Servers.run(s, List.of(Servers.CLIENT_PYTHON, Servers.client("probe.py").toString(),
                        s.socket().toString(), "-", "read:0:512", "read:4096:512"));
                assertEquals(0, Servers.waitExit(s, 60), s.log());
                assertTrue(Servers.trace(s).endsWith("shutdown requested\ncleanup\n"), impl + ": " + Servers.trace(s));
            }
        }
    }

    /**
     * nbdkit.disconnect(force) drops the calling client's connection; the server goes on.
     * Known difference: nbdkit 1.32.5's module has no disconnect (it came later), so this checks
     * jnbdkit only.
     */
    @Test
    void disconnect() throws Exception {
        Obs j = observe(Impl.JNBDKIT, new Spec("module.py"), s -> {
            String out = Servers.probe(s, "-", "read:8192:512", "read:0:512");
            assertTrue(s.isAlive());
            return out + Servers.probe(s, "-", "read:0:512");
        });
        assertContains(j.client(), "connection lost");
        assertTrue(j.client().endsWith("read:0:512 -> md5=bf619eac0cdf head=0000000000000000\n"), j.client());
    }

    /** Module constants have nbdkit's values (compared by a script that prints them at dump time). */
    @Test
    void constants() throws Exception {
        String script = tmp.resolve("consts.py").toString();
        Files.writeString(tmp.resolve("consts.py"), """
                import nbdkit
                API_VERSION = 2
                def dump_plugin():
                    for k in sorted(dir(nbdkit)):
                        if k.isupper():
                            print("const_%s=%r" % (k, getattr(nbdkit, k)))
                def open(readonly): return 1
                def get_size(h): return 0
                def pread(h, buf, offset, flags): pass
                """);
        String[] outs = new String[2];
        for (Impl impl : Impl.values()) {
            Cmd.Result r = Server.command(impl, "python", script, "--dump-plugin").run();
            outs[impl.ordinal()] = r.out().lines()
                    .filter(l -> l.startsWith("const_")).reduce("", (a, b) -> a + b + "\n");
            assertEquals(0, r.exit());
        }
        assertEquals(outs[Impl.NBDKIT.ordinal()], outs[Impl.JNBDKIT.ordinal()]);
        assertContains(outs[0], "const_FLAG_FAST_ZERO=8\n");
    }
}
