package dev.jnbdkit.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** nbdkit-exportname-filter: the export list, the default export, strict names and descriptions. */
class ExportNameFilterIT extends FilterItBase {
    /** {@code nbdinfo --list --json} without socket paths, or the failure's stderr. */
    static String list(Server s) {
        Cmd.Result r = Cmd.of("nbdinfo", "--list", "--json", s.uri()).run();
        if (r.exit() != 0) return "FAILED " + r.err().replaceAll("/tmp/\\S+", "SOCK");
        return stripUri(r.out());
    }

    static List<String> a(String... extra) {
        List<String> l = new ArrayList<>(List.of("--filter=exportname", "memory", "1M"));
        l.addAll(List.of(extra));
        return l;
    }

    @Test
    void listModes() {
        assertTrue(same(a(), s -> list(s)).contains("\"export-name\": \"\""));
        assertTrue(same(a("exportname-list=keep"), s -> list(s)).contains("\"export-name\": \"\""));
        String err = same(a("exportname-list=error"), s -> list(s) + String.join("\n", errors(s)));
        assertTrue(err.startsWith("FAILED") && err.contains("error: export list restricted by policy"), err);
        String empty = same(a("exportname-list=empty"), s -> list(s));
        assertTrue(!empty.contains("export-name"), empty);
        String def = same(a("exportname-list=defaultonly", "default-export=foo"), s -> list(s));
        assertTrue(def.contains("\"export-name\": \"foo\""), def);
        String explicit = same(a("exportname-list=explicit", "exportname=a", "exportname=b c"), s -> list(s));
        assertTrue(explicit.contains("\"export-name\": \"a\"") && explicit.contains("\"export-name\": \"b c\""), explicit);
    }

    /** default-export: a client asking for "" opens that name (seen by a log filter below). */
    @Test
    void defaultExport() {
        String log = sameLog(args("--filter=exportname", "--filter=log", "memory", "1M", "default-export=disk2"), args(),
                s -> py(s, "h.shutdown()\n"));
        assertTrue(log.contains("Connect export=disk2 tls=0"), log);
        log = sameLog(args("--filter=exportname", "--filter=log", "memory", "1M", "default-export="), args(),
                s -> py(s, "h.shutdown()\n"));
        assertTrue(log.contains("Connect export=\"\""), log);
    }

    @Test
    void strict() {
        String out = same(a("exportname-strict=true", "exportname=a"), s -> {
            String r = Cmd.of("nbdinfo", "--size", s.uri("a")).run().out();
            r += Cmd.of("nbdinfo", "--size", s.uri("b")).run().exit() != 0 ? "b refused\n" : "b opened\n";
            r += Cmd.of("nbdinfo", "--size", s.uri()).run().exit() != 0 ? "default refused\n" : "default opened\n";
            // nbdkit 1.32 drops a quote: "export 'b not found"
            return r + String.join("\n", errors(s)).replace("export 'b not found", "export 'b' not found");
        });
        assertTrue(out.startsWith("1048576\nb refused\ndefault refused\n"), out);
        assertTrue(out.contains("error: export 'b' not found\nerror: default export (\"\") not permitted"), out);
        // "" listed explicitly makes the default export allowed
        out = same(a("exportname-strict=true", "exportname="), s -> Cmd.of("nbdinfo", "--size", s.uri()).ok().out());
        assertEquals("1048576\n", out);
    }

    @Test
    void descriptions() {
        String keep = same(a("exportname-list=explicit", "exportname=a"), s -> list(s));
        assertTrue(!keep.contains("description"), keep);
        String fixed = same(a("exportname-list=explicit", "exportname=a", "exportname=b", "exportdesc=fixed:hello there"), s -> list(s));
        assertTrue(fixed.contains("\"description\": \"hello there\""), fixed);
        String script = same(a("exportname-list=explicit", "exportname=a", "exportname=b'q", "exportdesc=script:echo \"disk $name\""),
                s -> list(s) + Cmd.of("nbdinfo", "--json", s.uri("a")).ok().out().contains("\"description\": \"disk a\""));
        assertTrue(script.contains("\"description\": \"disk a\"") && script.contains("\"description\": \"disk b'q\"") && script.endsWith("true"), script);
        String none = same(a("exportname-list=explicit", "exportname=a", "exportdesc=none"), s -> list(s));
        assertTrue(!none.contains("description"), none);
    }

    @Test
    void badParameters() {
        badParameter("unrecognized exportname-list mode: foo", "--filter=exportname", "memory", "1M", "exportname-list=foo");
        badParameter("unrecognized exportdesc mode: foo", "--filter=exportname", "memory", "1M", "exportdesc=foo");
        badParameter("could not decipher boolean (maybe)", "--filter=exportname", "memory", "1M", "exportname-strict=maybe");
    }
}
