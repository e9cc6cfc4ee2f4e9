package dev.jnbdkit.pyconf;

import dev.jnbdkit.it.Server.Impl;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** -s: the connection is stdin/stdout; libnbd runs the server itself (connect_command). */
class PyStdioIT extends PyConfBase {
    static Servers.Run stdio(Impl impl, String script, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Servers.CLIENT_PYTHON, Servers.client("stdio.py").toString(),
                impl.command(), "-s", "python", Servers.plugin(script).toString()));
        cmd.addAll(List.of(args));
        return Servers.run(null, cmd);
    }

    @Test
    void sameDiskOverStdio() throws Exception {
        String[] outs = new String[2];
        for (Impl impl : Impl.values()) {
            Servers.Run r = stdio(impl, "conf.py", "size=64k");
            assertEquals(0, r.status(), impl + ": " + r.out());
            outs[impl.ordinal()] = r.out();
        }
        assertEquals(outs[Impl.NBDKIT.ordinal()], outs[Impl.JNBDKIT.ordinal()]);
        assertContains(outs[0], "size 65536\nread 84a97bcfbdb2 5a5a5a5a5a5a5a5a\nCLIENT OK");
    }

    /**
     * A script that prints at load time and in its callbacks. Known difference: Debian's nbdkit
     * 1.32 sends those prints down the NBD connection and the client fails ("did not send
     * expected NBD magic", or the plugin gets BrokenPipeError); jnbdkit moves the connection off
     * fd 1 before loading the script, so the prints of configuration go to stderr and the disk
     * works. After get_ready stdout is /dev/null, as under nbdkit (Py144IT compares that part),
     * so what the callbacks print is gone.
     */
    @Test
    void printingPluginWithStdio() throws Exception {
        Servers.Run r = stdio(Impl.JNBDKIT, "printing.py", "colour=blue");
        assertEquals(0, r.status(), r.out());
        assertContains(r.out(), "printing.py: loading\n");
        assertContains(r.out(), "printing.py: config colour blue\n");
        assertFalse(r.out().contains("printing.py: pwrite"), r.out());
        assertContains(r.out(), "read 84a97bcfbdb2 5a5a5a5a5a5a5a5a\nCLIENT OK");
        Servers.Run n = stdio(Impl.NBDKIT, "printing.py", "colour=blue");
        assertEquals(1, n.status(), "nbdkit 1.32 was expected to break here: " + n.out());
    }
}
