package dev.jnbdkit.it;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * nbdkit-pause-filter: the control socket's protocol ('p' → 'P', 'r' → 'R', white space ignored,
 * anything else 'X'), requests held while paused and released on resume, the socket removed at
 * exit; each under both servers.
 */
class PauseFilterIT extends ItBase {
    private static final Map<String, String> NO_ENV = Map.of();
    private static final String CLIENT = """
            import nbd, socket, sys, threading, time
            ctl = socket.socket(socket.AF_UNIX)
            ctl.connect(sys.argv[2])
            ctl.settimeout(1)
            def say(m):
                ctl.send(m)
                try:
                    return ctl.recv(10)
                except socket.timeout:
                    return b'(nothing)'
            for m in [b'\\n', b' ', b'P', b'R', b'x', b'r']:
                print(m, say(m))
            h = nbd.NBD()
            h.connect_uri(sys.argv[1])
            h.pwrite(b'a' * 512, 0)
            print('p', say(b'p'))
            done = []
            t = threading.Thread(target=lambda: done.append(h.pread(512, 0)))
            t.start()
            time.sleep(1.5)
            print('while paused, read done:', bool(done))
            print('r', say(b'r'))
            t.join(10)
            print('after resume, read done:', bool(done), done and done[0][:1])
            h.shutdown()
            """;

    @Test
    void helpShowsTheFilterAsNbdkit() {
        String ours = runServer("--filter=pause", "memory", "1M", "--help").ok().out();
        assertTrue(ours.contains("filter: pause (nbdkit pause filter)\n"), ours);
        String theirs = Cmd.of(Server.NBDKIT, "--filter=pause", "memory", "1M", "--help").ok().out();
        assertEquals(CowFilterIT.filterHelp(theirs, "pause"), CowFilterIT.filterHelp(ours, "pause"));
    }

    private String run(String program, String name) throws Exception {
        Path script = tmp.resolve("pause.py");
        Files.writeString(script, CLIENT);
        Path ctl = tmp.resolve(name + ".ctl");
        String out = Differential.captive(program, NO_ENV, List.of("--filter=pause", "memory", "1M", "pause-control=" + ctl),
                Clients.PYTHON + " " + script + " \"$uri\" " + ctl).out();
        assertFalse(Files.exists(ctl), "the control socket is removed at exit");
        return out;
    }

    @Test
    void controlProtocolAndPausingAsNbdkit() throws Exception {
        Clients.requirePythonNbd();
        String ours = run(Server.program(), "ours");
        assertEquals(run(Server.NBDKIT, "theirs"), ours);
        assertTrue(ours.contains("while paused, read done: False\n") && ours.contains("after resume, read done: True"), ours);
        assertTrue(ours.contains("b'x' b'X'\n") && ours.contains("b' ' b'(nothing)'\n"), ours);
    }

    @Test
    void missingSocketParameterFailsAsNbdkit() {
        assertEquals("error: pause-control socket was not set\n",
                Differential.assertSameRefusal(NO_ENV, List.of("--filter=pause", "memory", "1M")));
    }
}
