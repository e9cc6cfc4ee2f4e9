package dev.jnbdkit.python;

import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.Handle;
import dev.jnbdkit.spi.PluginException;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Errors: set_error → errno, exceptions → EIO, bad return values → PluginException, logs. */
class ErrorsTest {
    private static Handle open(PythonPlugin p, String name) { return p.open(Scripts.ctx(name)); }

    private static PluginException fails(Runnable r) { return assertThrows(PluginException.class, r::run); }

    private static String failsWith(Runnable r) { return Scripts.text(fails(r)); }

    @Test
    void exceptionIsEioAndLoggedWithTraceback() {
        PythonPlugin p = Scripts.load("errors.py");
        Handle h = open(p, "eio");
        PluginException[] e = new PluginException[1];
        List<String> log = Scripts.logged(() -> e[0] = fails(() -> h.pread(new TestBuffer(16), 0, 0)));
        assertEquals(Errno.EIO, e[0].errno());
        assertEquals("pread: RuntimeError: boom", Scripts.text(e[0]));
        String line = log.stream().filter(l -> l.contains("error:")).findFirst().orElseThrow();
        assertTrue(line.contains(Scripts.path("errors.py") + ": pread: error: Traceback (most recent call last):"), line);
        assertTrue(line.contains("raise RuntimeError(\"boom\")"), line);
        assertTrue(line.endsWith("RuntimeError: boom"), line);
    }

    @Test
    void setErrorChoosesTheErrno() {
        PythonPlugin p = Scripts.load("errors.py");
        assertEquals(Errno.EPERM, fails(() -> open(p, "eperm").pread(new TestBuffer(8), 0, 0)).errno());
        assertEquals(Errno.ENOSPC, fails(() -> open(p, "x").pwrite(TestBuffer.of("abc"), 0, 0)).errno());
        assertEquals(13, fails(() -> open(p, "open-raise")).errno());
        // set_error without raising is not a failure
        TestBuffer b = new TestBuffer(4);
        open(p, "set-no-raise").pread(b, 0, 0);
        assertArrayEquals(new byte[] {1, 1, 1, 1}, b.bytes());
        // and the errno does not leak into the next call on this thread
        assertEquals(Errno.EIO, fails(() -> open(p, "eio").pread(new TestBuffer(8), 0, 0)).errno());
    }

    @Test
    void zeroWithEopnotsuppAsksForTheFallback() {
        PythonPlugin p = Scripts.load("errors.py");
        List<String> log = Scripts.logged(() -> {
            assertEquals(Errno.ENOTSUP, fails(() -> open(p, "zero-notsup").zero(512, 0, 0)).errno());
            assertEquals(Errno.ENOTSUP, fails(() -> open(p, "zero-notsup-return").zero(512, 0, 0)).errno());
        });
        assertTrue(log.stream().noneMatch(l -> l.contains("error:")), log.toString());
        assertEquals(Errno.ENOSPC, fails(() -> open(p, "zero-other").zero(512, 0, 0)).errno());
    }

    @Test
    void wrongReturnTypes() {
        PythonPlugin p = Scripts.load("errors.py");
        PluginException e = fails(() -> open(p, "size-str").getSize());
        assertEquals(Errno.EIO, e.errno());
        assertTrue(Scripts.text(e).contains("get_size") && Scripts.text(e).contains("'abc'"), Scripts.text(e));
        assertTrue(failsWith(() -> open(p, "size-neg").getSize()).contains("negative"));
        fails(() -> open(p, "size-float").getSize());
        fails(() -> open(p, "bs-garbage").blockSize());
        for (String bad : new String[] {"ext-garbage", "ext-pair", "ext-str", "ext-empty"}) {
            PluginException x = fails(() -> open(p, bad).extents(4096, 0, 0, (o, l, t) -> {}));
            assertEquals(Errno.EIO, x.errno(), bad);
            assertTrue(Scripts.text(x).startsWith("extents: "), Scripts.text(x));
        }
        assertTrue(failsWith(() -> open(p, "ext-raise").extents(4096, 0, 0, (o, l, t) -> {}))
                .contains("ValueError: no extents"));
        int[] n = {0};
        open(p, "ext-gen").extents(4096, 0, 0, (o, l, t) -> n[0]++);
        assertEquals(8, n[0], "any iterable of tuples will do");
        assertTrue(failsWith(() -> open(p, "canw-raise").canWrite()).contains("can_write failed"));
    }

    @Test
    void pwriteBufferIsReadOnly() {
        PythonPlugin p = Scripts.load("errors.py");
        PluginException e = fails(() -> open(p, "write-into-pwrite-buf").pwrite(TestBuffer.of("abc"), 0, 0));
        assertTrue(Scripts.text(e).contains("TypeError") && Scripts.text(e).contains("read-only"), Scripts.text(e));
    }

    @Test
    void badListExportsAndDefaultExport() {
        assertTrue(failsWith(() -> Scripts.load("errors.py", "mode", "exports-int").listExports(false, false))
                .contains("not iterable"));
        assertTrue(failsWith(() -> Scripts.load("errors.py", "mode", "exports-items").listExports(false, false))
                .contains("42"));
        assertTrue(failsWith(() -> Scripts.load("errors.py", "mode", "exports-raise").listExports(false, false))
                .contains("KeyError"));
        assertTrue(failsWith(() -> Scripts.load("errors.py", "mode", "default-int").defaultExport(false, false))
                .contains("expected a string"));
    }

    @Test
    void startupCallbacksCarryThePythonMessage() {
        PluginException e = fails(() -> Scripts.load("errors.py", "fail", "this"));
        assertTrue(Scripts.text(e).contains(": config: error: ") && Scripts.text(e).endsWith("ValueError: config refuses this"),
                Scripts.text(e));
        e = fails(() -> Scripts.load("errors.py", "mode", "fail-complete"));
        assertTrue(Scripts.text(e).endsWith("RuntimeError: config_complete says no"), Scripts.text(e));
        PythonPlugin p = Scripts.load("errors.py", "mode", "fail-ready");
        e = fails(p::getReady);
        assertEquals(Errno.EPERM, e.errno());
        assertTrue(Scripts.text(e).contains("get_ready says no"), Scripts.text(e));
        assertTrue(failsWith(() -> Scripts.load("errors.py", "mode", "bad-model").threadModel())
                .contains("thread model"));
    }

    /**
     * As nbdkit (PyRun_SimpleFileEx): the traceback goes to stderr the way Python prints it, and
     * the error is "SCRIPT: error running this script" (checked against nbdkit 1.32 by hand:
     * same lines for a SyntaxError and for an exception raised at the top level).
     */
    @Test
    void scriptsThatDoNotLoad() {
        PluginException e = fails(() -> Scripts.load("syntax.py"));
        assertEquals(Scripts.path("syntax.py") + ": error running this script", Scripts.text(e));
        e = fails(() -> Scripts.load("toplevel_raise.py"));
        assertEquals(Scripts.path("toplevel_raise.py") + ": error running this script", Scripts.text(e));
    }

    @Test
    void keyValueWithoutConfigCallback() {
        PluginException e = fails(() -> Scripts.load("noconfig.py", "a", "b"));
        assertTrue(Scripts.text(e).contains("does not need command line configuration"), Scripts.text(e));
    }

    @Test
    void requiredCallbacksAreCheckedAtConfigComplete() {
        PluginException e = fails(() -> Scripts.load("noopen.py"));
        assertTrue(e.getMessage().endsWith("noopen.py: missing callback: open"), e.getMessage());
    }

    @Test
    void connectionFailuresLeaveTheLoggingToUs() {
        PythonPlugin p = Scripts.load("errors.py");
        PluginException e = fails(() -> open(p, "eio").pread(new TestBuffer(8), 0, 0));
        assertNull(e.getMessage(), "logged already: the server must not log it again");
        assertInstanceOf(PythonError.class, e.getCause());
    }
}
