package dev.jnbdkit.pyconf;

import dev.jnbdkit.it.Server.Impl;
import dev.jnbdkit.it.Cmd;
import dev.jnbdkit.it.Server;
import dev.jnbdkit.pyconf.Servers.Spec;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The global callbacks in order (config, config_complete, thread_model, get_ready, after_fork,
 * preconnect, open, close, cleanup), dump_plugin, export_description / block_size /
 * is_rotational as nbdinfo shows them, preconnect refusing clients, open(readonly) with -r,
 * configuration errors, and nbdkit.debug under -v.
 */
class PyLifecycleIT extends PyConfBase {
    Spec lifecycle(String... extra) {
        List<String> args = new ArrayList<>(List.of("size=1M"));
        args.addAll(List.of(extra));
        return new Spec("lifecycle.py", args.toArray(String[]::new));
    }

    @Test
    void callbackOrderAndCleanup() throws Exception {
        // marker=marker: relative to the server's working directory (its own directory here)
        Obs j = sameWithTrace(lifecycle("marker=marker"), s -> {
            String a = Servers.probe(s, "-", "read:0:512");
            String b = Servers.probe(s, "-", "info");
            assertFalse(Files.exists(s.dir().resolve("marker")), "cleanup ran before exit");
            return a + b;
        });
        assertEquals(String.join("\n", "config size 1M", "config marker marker", "config_complete",
                "thread_model", "get_ready", "after_fork",
                "preconnect readonly=False", "open readonly=False", "close",
                "preconnect readonly=False", "open readonly=False", "close", "cleanup"), canonical(j.trace()));
        assertEquals("cleaned up\n", Files.readString(j.dir().resolve("marker")));
        assertEquals(0, j.exit());
    }

    @Test
    void nbdinfoShowsDescriptionBlockSizesRotational() throws Exception {
        Obs j = same(lifecycle(), s -> Servers.run(s, List.of("nbdinfo", "--json", s.uri())).out());
        assertContains(j.client(), "\"description\": \"a disk for the conformance suite\"");
        assertContains(j.client(), "\"is_rotational\": true");
        assertContains(j.client(), "\"block_size_minimum\": 512");
        assertContains(j.client(), "\"block_size_preferred\": 4096");
        assertContains(j.client(), "\"block_size_maximum\": 1048576");
        Obs p = same(lifecycle(), s -> Servers.probe(s, "-", "info"));
        assertContains(p.client(), "block=512/4096/1048576 description='a disk for the conformance suite'");
    }

    @Test
    void preconnectRaisingRefusesEveryClient() throws Exception {
        Obs j = sameWithTrace(lifecycle("refuse=1"), s -> {
            String out = Servers.probe(s, "-", "read:0:512")
                    + Servers.run(s, List.of("nbdinfo", s.uri())).status() + "\n";
            assertTrue(s.isAlive());
            return out;
        });
        assertTrue(j.client().startsWith("connect -> ERR"), j.client());
        assertFalse(j.trace().contains("open"), j.trace());
        assertContains(j.trace(), "preconnect readonly=False");
    }

    @Test
    void readonlyOpen() throws Exception {
        Obs j = sameWithTrace(lifecycle().opts("-r"), s -> Servers.probe(s, "-", "info"));
        assertContains(j.trace(), "preconnect readonly=True\nopen readonly=True\n");
        assertContains(j.client(), "is_read_only=1");
    }

    /** A config() that raises stops the server at start-up with status 1 and the traceback. */
    @Test
    void configErrorStopsTheServer() throws Exception {
        for (Impl impl : Impl.values()) {
            try (Server s = Servers.start(impl, Files.createTempDirectory(tmp, "c"), lifecycle("colour=red"))) {
                assertEquals(1, Servers.waitExit(s, 60), s.log());
                String log = s.log();
                assertContains(log, impl.progname() + ": error: " + Servers.plugin("lifecycle.py") + ": config: error: Traceback");
                assertContains(log, "RuntimeError: unknown parameter: colour");
                assertFalse(Files.exists(s.socket()) && Servers.trace(s).contains("get_ready"), Servers.trace(s));
            }
        }
    }

    /** The script's dump_plugin() output joins --dump-plugin; the other lines agree with nbdkit. */
    @Test
    void dumpPlugin() throws Exception {
        List<Set<String>> sets = new ArrayList<>();
        for (Impl impl : Impl.values()) {
            Cmd.Result r = Server.command(impl, "python", Servers.plugin("lifecycle.py").toString(), "--dump-plugin")
                    .mergeOutput().run();
            String out = r.out();
            assertEquals(0, r.exit(), out);
            assertContains(out, "lifecycle_dump_plugin=called\n");
            assertContains(out, "python_pep_384_abi_version=3\n");
            assertContains(out, "nbdkit_python_maximum_api_version=2\n");
            // Known differences: where the plugin lives, the server's version, the interpreter
            // (nbdkit's is compiled in; jnbdkit adds python_interpreter/python_libpython), and
            // nbdkit's C-level has_load (jnbdkit has none, and reports has_longname), and
            // errno_is_preserved (jnbdkit says 1 on purpose: errors travel in exceptions).
            Set<String> keep = new TreeSet<>();
            for (String l : out.lines().toList()) {
                if (!l.matches("(path|version|struct_size|python_version|python_interpreter|python_libpython|has_load|has_longname|errno_is_preserved)=.*")) {
                    keep.add(l);
                }
            }
            sets.add(keep);
        }
        assertEquals(sets.get(1), sets.get(0));
    }

    /** nbdkit.debug() messages appear with -v, as "PROG: python[N]: debug: MSG", and not without. */
    @Test
    void debugNeedsVerbose() throws Exception {
        for (Impl impl : Impl.values()) {
            Obs quiet = observe(impl, lifecycle(), s -> Servers.probe(s, "-", "read:0:512"));
            assertFalse(quiet.log().contains("lifecycle: open"), quiet.log());
            Obs loud = observe(impl, lifecycle().opts("-v"), s -> Servers.probe(s, "-", "read:0:512"));
            assertContains(loud.log(), impl.progname() + ": python[1]: debug: lifecycle: open(readonly=False)\n");
        }
    }

    /** A second load of the same script in another server: the trace files are separate. */
    @Test
    void serversAreIndependent() throws Exception {
        var m = both(lifecycle(), s -> Servers.probe(s, "-", "read:0:512"));
        assertNotEquals(null, m.get(Impl.JNBDKIT).trace());
        assertEquals(canonical(m.get(Impl.NBDKIT).trace()), canonical(m.get(Impl.JNBDKIT).trace()));
    }
}
