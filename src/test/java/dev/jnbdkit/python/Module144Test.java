package dev.jnbdkit.python;

import dev.jnbdkit.posix.FileCalls;
import dev.jnbdkit.spi.Handle;
import dev.jnbdkit.spi.Nbdkit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The module functions nbdkit 1.44 added (nbdkit-python-plugin(3) of 1.44 and the
 * nbdkit_*(3) pages), in the JVM with a fake server: values, argument checking, errors inside
 * and outside a connection. The same functions through real clients: pyconf/Py144IT.
 */
class Module144Test {
    @TempDir Path tmp;

    @AfterEach
    void noServer() {
        Nbdkit.install(new Nbdkit.Services() {
            @Override public void shutdown() {}

            @Override public Nbdkit.ConnectionInfo currentConnection() { return null; }
        });
    }

    private static void connection(Nbdkit.ConnectionInfo c) {
        Nbdkit.install(new Nbdkit.Services() {
            @Override public void shutdown() {}

            @Override public Nbdkit.ConnectionInfo currentConnection() { return c; }
        });
    }

    @Test
    void outsideAConnectionEveryConnectionFunctionFailsAsNbdkits() {
        PythonPlugin p = Scripts.load("module144.py");
        var log = Scripts.logged(() -> assertEquals(String.join("|",
                "RuntimeError: nbdkit.is_tls failed", "RuntimeError: nbdkit.peer_pid failed",
                "RuntimeError: nbdkit.peer_uid failed", "RuntimeError: nbdkit.peer_gid failed",
                "RuntimeError: nbdkit.peer_tls_dn failed", "RuntimeError: nbdkit.peer_tls_issuer_dn failed",
                "RuntimeError: nbdkit.peer_security_context failed"), Scripts.call(p, "_outside")));
        assertTrue(log.stream().anyMatch(l -> l.endsWith("error: no connection in this thread")), log.toString());
    }

    @Test
    void inAConnectionTheServersAnswersAndNoneIsAHandle() {
        connection(new Nbdkit.ConnectionInfo() {
            @Override public String exportName() { return ""; }

            @Override public boolean isTls() { return true; }

            @Override public void disconnect(boolean force) {}

            @Override public Nbdkit.PeerCredentials peerCredentials() {
                return new Nbdkit.PeerCredentials(1234, 4294967295L, 0);
            }

            @Override public String peerTlsDn() { return "CN=client.example.com,O=BigCo,C=US"; }

            @Override public String peerTlsIssuerDn() { return "CN=BigCo"; }
        });
        PythonPlugin p = Scripts.load("module144.py");
        Handle h = p.open(Scripts.ctx());
        TestBuffer b = new TestBuffer(512);
        h.pread(b, 0, 0);
        assertEquals("None bool True|int 1234|int 4294967295|int 0|str 'CN=client.example.com,O=BigCo,C=US'"
                + "|str 'CN=BigCo'|RuntimeError: nbdkit.peer_security_context failed", b.text().strip());
        h.close();
    }

    @Test
    void parseDelay() {
        PythonPlugin p = Scripts.load("module144.py");
        assertEquals(String.join("|", "tuple (1, 0)", "tuple (1, 200000000)", "tuple (1, 200000000)",
                        "tuple (0, 1200000)", "tuple (0, 120000000)", "tuple (0, 1200)", "tuple (0, 1200)",
                        "tuple (0, 120000)", "tuple (0, 1)", "tuple (0, 0)",
                        "ValueError: Unable to parse string as delay", "ValueError: Unable to parse string as delay",
                        "ValueError: Unable to parse string as delay", "ValueError: Unable to parse string as delay",
                        "ValueError: Unable to parse string as delay", "ValueError: Unable to parse string as delay"),
                Scripts.call(p, "_delays"));
        assertEquals("TypeError: parse_delay() takes exactly 2 arguments (1 given)"
                        + "|TypeError: parse_delay() argument 1 must be str, not int"
                        + "|TypeError: parse_delay() argument 2 must be str, not bytes",
                Scripts.call(p, "_delay_types"));
    }

    @Test
    void parseProbability() {
        PythonPlugin p = Scripts.load("module144.py");
        String bad = "ValueError: Unable to parse string as probability";
        assertEquals(String.join("|", "float 0.1", "float 0.1", "float 0.1", "float 0.1", "float 0.1", "float 2.0",
                "float 0.0", bad, bad, bad, bad, bad), Scripts.call(p, "_probabilities"));
    }

    @Test
    void nanosleep() {
        PythonPlugin p = Scripts.load("module144.py");
        assertEquals(String.join("|", "NoneType None",
                        "TypeError: 'float' object cannot be interpreted as an integer",
                        "TypeError: nanosleep() takes exactly 2 arguments (1 given)",
                        "RuntimeError: nbdkit.nanosleep failed", "RuntimeError: nbdkit.nanosleep failed"),
                Scripts.call(p, "_sleeps"));
    }

    @Test
    void readPasswordInEveryForm() throws Exception {
        Path file = tmp.resolve("pw");
        Files.writeString(file, "from-file\nsecond line\n");
        Path viaFd = tmp.resolve("pwfd");
        Files.writeString(viaFd, "from-fd");
        int fd = FileCalls.open(viaFd.toString(), FileCalls.O_RDONLY);
        assertTrue(fd > 2);
        PythonPlugin p = Scripts.load("module144.py");
        String out = callWith(p, "_passwords", file.toString(), fd);
        assertEquals(String.join("|", "bytes b'secret'", "bytes b'from-file'", "bytes b'from-fd'",
                "RuntimeError: nbdkit.read_password failed", "RuntimeError: nbdkit.read_password failed",
                "RuntimeError: nbdkit.read_password failed", "RuntimeError: nbdkit.read_password failed",
                "bytes b''"), out);
        // -FD closes the descriptor after reading, as nbdkit does
        assertEquals(-1, FileCalls.close(fd));
    }

    @Test
    void argumentTypesAreCheckedAsNbdkitChecksThem() {
        PythonPlugin p = Scripts.load("module144.py");
        String out = Scripts.call(p, "_types");
        assertEquals(String.join("|",
                "TypeError: debug() argument 1 must be str, not bytes", "TypeError: debug() argument 1 must be str, not int",
                "TypeError: debug() argument 1 must be str, not None", "ValueError: embedded null character",
                "TypeError: 'str' object cannot be interpreted as an integer",
                "OverflowError: signed integer is greater than maximum",
                "TypeError: parse_size() argument 1 must be str, not bytes", "ValueError: Unable to parse string as size",
                "TypeError: nbdkit.is_tls() takes no arguments (1 given)",
                "TypeError: nbdkit.stdio_safe() takes no arguments (1 given)",
                "TypeError: read_password() argument 1 must be str, not None",
                "TypeError: disconnect() takes exactly 1 argument (0 given)",
                "TypeError: nbdkit.export_name() takes no arguments (1 given)",
                "TypeError: debug() takes no keyword arguments"), out);
        assertEquals("<built-in function debug> peer_pid 'nbdkit'", Scripts.call(p, "_names"));
    }

    @Test
    void stdioSafeBeforeConfigurationOnly() {
        PythonPlugin p = Scripts.load("module144.py");
        assertEquals("bool True", Scripts.call(p, "_stdio_safe"));
    }

    /** Calls {@code name(path, fd)} in the script. */
    private static String callWith(PythonPlugin p, String name, String path, int fd) {
        try (Gil.Held g = Gil.hold()) {
            long fn = p.function(name);
            long r = PythonPlugin.call(fn, PythonRuntime.newString(path), Py.PyLong_FromLongLong(fd));
            Py.Py_DecRef(fn);
            if (r == 0) throw new AssertionError(name + " raised: " + p.runtime().fetchError("?"));
            String s = PythonRuntime.str(r);
            Py.Py_DecRef(r);
            return s;
        }
    }
}
