package dev.jnbdkit.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The multi-conn filter: what it advertises in each mode, and which flushes reach the plugin
 * (it/flaky.py logs each flush with its connection) for every mode and dirty tracking, for the
 * same sequence of writes, reads and flushes over three connections, under jnbdkit and nbdkit.
 */
class MultiConnFilterIT extends ItBase {
    /** Three connections; steps like "aw" (a writes), "br" (b reads), "cf" (c flushes), "aW" (FUA write). */
    private static final String STEPS = """
            import sys, nbd
            uri, log, seq = sys.argv[1], sys.argv[2], sys.argv[3]
            def conn(export):
                h = nbd.NBD()
                h.set_export_name(export)
                h.connect_uri(uri)
                return h
            hs = {"a": conn("x"), "b": conn("x"), "c": conn("y")}
            print("multi", hs["a"].can_multi_conn(), "fua", hs["a"].can_fua())
            for step in seq.split(","):
                with open(log, "a") as f:
                    f.write("== " + step + "\\n")
                h, op = hs[step[0]], step[1:]
                if op == "f": h.flush()
                elif op == "w": h.pwrite(b"x" * 512, 0)
                elif op == "W": h.pwrite(b"y" * 512, 0, nbd.CMD_FLAG_FUA)
                elif op == "z": h.zero(512, 512)
                elif op == "t": h.trim(512, 512)
                elif op == "r": h.pread(512, 0)
            with open(log, "a") as f:
                f.write("== end\\n")
            """;
    private static final String SEQUENCE = "aw,af,br,aw,af,cf,bf,aW,ar,cw,bf,af,bz,ct,cf,af,bf";

    private Path flaky() {
        Path p = tmp.resolve("flaky.py");
        try {
            if (!Files.exists(p)) Files.writeString(p, resource("flaky.py"));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        return p;
    }

    /** The client's answers and the flushes the plugin saw, step by step. */
    private String flushes(String server, String... params) {
        Path events = tmp.resolve("ev" + System.nanoTime());
        List<String> a = new ArrayList<>(List.of("--filter=multi-conn", "python", flaky().toString(), "events=" + events));
        a.addAll(List.of(params));
        Server s = Differential.unix(server, tmp.resolve("s" + System.nanoTime()), a.toArray(String[]::new));
        Cmd.Result r = python(STEPS, s.uri(), events.toString(), SEQUENCE).ok();
        s.stop();
        try {
            String ev = Files.readString(events);
            ev = ev.substring(0, ev.indexOf("== end"));
            return r.out() + ev.lines().filter(l -> !l.startsWith("open") && !l.startsWith("close"))
                    .reduce("", (x, y) -> x + y + "\n");
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void flushesReachThePluginAsUnderNbdkit() {
        String[][] settings = {
                {}, {"multi-conn-mode=emulate"}, {"multi-conn-mode=emulate", "multi-conn-track-dirty=fast"},
                {"multi-conn-mode=emulate", "multi-conn-track-dirty=off"},
                {"multi-conn-mode=emulate", "multi-conn-exportname=true"},
                {"multi-conn-mode=plugin"}, {"multi-conn-mode=plugin", "multi-conn-track-dirty=fast"},
                {"multi-conn-mode=plugin", "multi-conn-track-dirty=off"}, {"multi-conn-mode=unsafe"},
                {"multi-conn-mode=disable", "multi-conn-track-dirty=connection"},
        };
        for (String[] p : settings) {
            List<String> got = new ArrayList<>();
            for (String server : Differential.servers()) got.add(flushes(server, p));
            assertEquals(got.get(1), got.get(0), "flushes differ from nbdkit's with " + String.join(" ", p));
        }
        // The sequence tells the settings apart (a test that cannot fail proves nothing).
        assertTrue(!flushes(Server.program()).equals(flushes(Server.program(), "multi-conn-track-dirty=off")));
    }

    @Test
    void advertisedFlagsAsInNbdkit() {
        for (String plugin : List.of("memory", "flaky")) {
            for (String mode : List.of("auto", "emulate", "plugin", "unsafe", "disable")) {
                List<String> got = new ArrayList<>();
                for (String server : Differential.servers()) {
                    List<String> a = new ArrayList<>(List.of(server, "-U", "-", "--filter=multi-conn"));
                    if (plugin.equals("memory")) a.addAll(List.of("memory", "1M"));
                    else a.addAll(List.of("python", flaky().toString()));
                    a.addAll(List.of("multi-conn-mode=" + mode, "--run", "nbdinfo --json \"$uri\""));
                    Json j = Json.parse(Cmd.of(a).ok().out()).get("exports").at(0);
                    got.add("multi=" + j.get("can_multi_conn").asBool() + " fua=" + j.get("can_fua").asBool() + " flush=" + j.get("can_flush").asBool());
                }
                assertEquals(got.get(1), got.get(0), plugin + " " + mode);
            }
        }
    }

    @Test
    void emulationWithoutFlushRefusesTheClient() throws IOException {
        Path py = tmp.resolve("noflush.py");
        Files.writeString(py, """
                API_VERSION = 2
                def open(readonly): return 1
                def get_size(h): return 1048576
                def pread(h, buf, offset, flags): buf[:] = bytearray(len(buf))
                def pwrite(h, buf, offset, flags): pass
                """);
        String connect = """
                import sys, nbd
                h = nbd.NBD()
                try:
                    h.connect_uri(sys.argv[1])
                    print("connected", h.can_multi_conn())
                except nbd.Error:
                    print("refused")
                """;
        for (String mode : List.of("emulate", "auto", "disable")) {
            List<String> got = new ArrayList<>();
            for (String server : Differential.servers()) {
                Server s = Differential.unix(server, tmp.resolve("nf" + System.nanoTime()), "--filter=multi-conn",
                        "python", py.toString(), "multi-conn-mode=" + mode);
                String out = python(connect, s.uri()).ok().out();
                s.stop();
                boolean logged = s.stderr().contains("error: emulating multi-conn requires working flush");
                got.add(out + "logged=" + logged);
            }
            assertEquals(got.get(1), got.get(0), mode);
            assertEquals(mode.equals("disable") ? "connected False\nlogged=false" : "refused\nlogged=true", got.get(0));
        }
    }

    @Test
    void badParametersFailAsInNbdkit() {
        for (String bad : List.of("multi-conn-mode=foo", "multi-conn-track-dirty=foo", "multi-conn-exportname=foo")) {
            Differential.assertSameRefusal("--filter=multi-conn", "memory", "1M", bad);
        }
    }
}
