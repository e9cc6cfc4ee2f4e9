package dev.jnbdkit.pyconf;

import dev.jnbdkit.pyconf.Servers.Spec;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** list_exports (tuples and bare names), default_export, export_name(), per-export sizes. */
class PyExportsIT extends PyConfBase {
    @Test
    void nbdinfoList() throws Exception {
        Obs j = sameWithTrace(new Spec("exports.py"), s -> Servers.run(s, List.of("nbdinfo", "--list", "--json", s.uri())).out()
                + Servers.run(s, List.of("nbdinfo", "--list", s.uri())).out());
        for (String part : List.of("\"export-name\": \"alpha\"", "\"description\": \"the first disk\"",
                "\"export-name\": \"beta\"", "\"export-name\": \"gamma\"", "\"description\": \"the third disk\"",
                "\"export-size\": 3145728")) {
            assertContains(j.client(), part);
        }
        assertContains(j.trace(), "list_exports readonly=False is_tls=False");
    }

    @Test
    void listExportsReadonly() throws Exception {
        Obs j = sameWithTrace(new Spec("exports.py").opts("-r"), l -> l.startsWith("list_exports"),
                s -> Servers.run(s, List.of("nbdinfo", "--list", s.uri())).out());
        assertContains(j.trace(), "list_exports readonly=True is_tls=False");
    }

    /** The client asks for "": default_export names the export, and export_name() says so. */
    @Test
    void defaultExport() throws Exception {
        Obs j = sameWithTrace(new Spec("exports.py"), l -> l.startsWith("open"),
                s -> Servers.probe(s, "-", "info", "read:0:8"));
        assertLine(j.trace(), "open 'beta'");
        assertContains(j.client(), "size=2097152");
        assertContains(j.client(), "description='export beta'");
        Obs g = sameWithTrace(new Spec("exports.py", "default=gamma"), l -> l.startsWith("open"),
                s -> Servers.probe(s, "-", "info") + Servers.run(s, List.of("nbdinfo", "--json", s.uri())).out());
        assertLine(g.trace(), "open 'gamma'");
        assertContains(g.client(), "\"export-name\": \"gamma\"");
    }

    @Test
    void namedExportsAndUnknownName() throws Exception {
        Obs j = sameWithTrace(new Spec("exports.py"), l -> l.startsWith("open"),
                s -> Servers.probe(s, "alpha", "info", "read:0:8") + Servers.probe(s, "gamma", "read:0:8")
                        + Servers.probe(s, "nosuch", "read:0:8"));
        assertContains(j.client(), "size=1048576");
        assertContains(j.client(), "description='export alpha'");
        assertContains(j.client(), "head=6767676767676767");
        assertTrue(j.client().contains("connect -> ERR"), j.client());
        assertLine(j.trace(), "open 'nosuch'");
    }

    /** qemu-io and nbdinfo name exports in the URI path. */
    @Test
    void exportInUri() throws Exception {
        Obs j = same(new Spec("exports.py"), s -> Servers.run(s, List.of("nbdinfo", "--size", s.uri("alpha"))).out()
                + Servers.run(s, List.of("qemu-io", "-r", "-f", "raw", "-c", "read -P 0x61 0 1M", s.uri("alpha"))).out()
                .lines().filter(l -> !l.contains(" sec ")).reduce("", (a, b) -> a + b + "\n"));
        assertContains(j.client(), "1048576\nread 1048576/1048576 bytes at offset 0\n");
    }
}
