package dev.jnbdkit.python;

import dev.jnbdkit.spi.Handle;
import dev.jnbdkit.spi.Nbdkit;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.*;

/** The nbdkit module built from Java. */
class ModuleTest {
    @Test
    void constants() {
        PythonPlugin p = Scripts.load("module.py");
        assertEquals("THREAD_MODEL_SERIALIZE_CONNECTIONS=0,THREAD_MODEL_SERIALIZE_ALL_REQUESTS=1,"
                + "THREAD_MODEL_SERIALIZE_REQUESTS=2,THREAD_MODEL_PARALLEL=3,FLAG_MAY_TRIM=1,FLAG_FUA=2,"
                + "FLAG_REQ_ONE=4,FLAG_FAST_ZERO=8,FUA_NONE=0,FUA_EMULATE=1,FUA_NATIVE=2,CACHE_NONE=0,"
                + "CACHE_EMULATE=1,CACHE_NATIVE=2,EXTENT_HOLE=1,EXTENT_ZERO=2", Scripts.call(p, "_constants"));
    }

    @Test
    void parseSize() {
        PythonPlugin p = Scripts.load("module.py");
        assertEquals("[104857600, 1024, 512, 'ValueError', 'ValueError', 'ValueError', 'TypeError']",
                Scripts.call(p, "_sizes"));
    }

    @Test
    void debugGoesToTheLog() {
        PythonPlugin p = Scripts.load("module.py");
        List<String> log = Scripts.logged(() -> Scripts.call(p, "_debug"));
        assertTrue(log.stream().anyMatch(l -> l.endsWith("debug: hello from python")), log.toString());
    }

    @Test
    void argumentChecking() {
        PythonPlugin p = Scripts.load("module.py");
        assertEquals("['TypeError', 'TypeError', 'TypeError']", Scripts.call(p, "_bad_args"));
    }

    @Test
    void exportNameIsTheConnectionsAndShutdownDisconnectReachTheServer() {
        AtomicInteger shutdowns = new AtomicInteger(), disconnects = new AtomicInteger();
        Nbdkit.install(new Nbdkit.Services() {
            @Override public void shutdown() { shutdowns.incrementAndGet(); }

            @Override public Nbdkit.ConnectionInfo currentConnection() {
                return new Nbdkit.ConnectionInfo() {
                    @Override public String exportName() { return "server-side"; }

                    @Override public boolean isTls() { return false; }

                    @Override public void disconnect(boolean force) { disconnects.incrementAndGet(); }
                };
            }
        });
        try {
            PythonPlugin p = Scripts.load("module.py");
            Handle a = p.open(Scripts.ctx("alpha"));
            Handle b = p.open(Scripts.ctx("beta"));
            TestBuffer ra = new TestBuffer(5), rb = new TestBuffer(4);
            a.pread(ra, 0, 0);
            b.pread(rb, 0, 0);
            assertEquals("alpha", ra.text());
            assertEquals("beta", rb.text());
            assertEquals(2, disconnects.get());
            assertEquals("ok", Scripts.call(p, "_shutdown"));
            assertEquals(1, shutdowns.get());
            // outside a handle callback, the server's idea of the connection is used
            assertEquals("server-side", Scripts.call(p, "_export_name_outside"));
            a.close();
            b.close();
        } finally {
            Nbdkit.install(new Nbdkit.Services() {
                @Override public void shutdown() {}

                @Override public Nbdkit.ConnectionInfo currentConnection() { return null; }
            });
        }
        PythonPlugin p = Scripts.load("module.py");
        assertEquals("RuntimeError", Scripts.call(p, "_export_name_outside"));
    }

    @Test
    void cExtensionModulesImport() {
        PythonPlugin p = Scripts.load("cext.py");
        Handle h = p.open(Scripts.ctx());
        TestBuffer b = new TestBuffer(512);
        h.pread(b, 0, 0);
        assertTrue(b.text().startsWith("{\"ok\": 1}2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881"),
                b.text());
        String info = Scripts.call(p, "_info");
        assertTrue(info.contains("OpenSSL") && info.contains("|8|"), info);
        h.close();
    }

    @Test
    void pythonThreadsCanCallTheModule() {
        PythonPlugin p = Scripts.load("module.py");
        assertEquals("[2048]", Scripts.call(p, "_python_thread"));
    }
}
