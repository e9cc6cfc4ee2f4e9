package dev.jnbdkit.python;

import dev.jnbdkit.spi.BlockSize;
import dev.jnbdkit.spi.CacheMode;
import dev.jnbdkit.spi.Export;
import dev.jnbdkit.spi.Extent;
import dev.jnbdkit.spi.Flags;
import dev.jnbdkit.spi.FuaMode;
import dev.jnbdkit.spi.Handle;
import dev.jnbdkit.spi.OpenContext;
import dev.jnbdkit.spi.PluginException;
import dev.jnbdkit.spi.ThreadModel;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** PythonPlugin driven through the SPI: callbacks, defaults, API versions. */
class PythonPluginTest {
    @Test
    void readWriteRoundTrip() {
        PythonPlugin p = Scripts.load("ramdisk2.py");
        assertEquals("python", p.name());
        assertNull(p.magicConfigKey(), "as nbdkit: only the first bare argument is the script");
        assertEquals(ThreadModel.PARALLEL, p.threadModel());
        Handle h = p.open(Scripts.ctx("exp1"));
        assertEquals(1024 * 1024, h.getSize());
        TestBuffer w = TestBuffer.of("hello, python!");
        h.pwrite(w, 4096, 0);
        TestBuffer r = new TestBuffer(14);
        h.pread(r, 4096, 0);
        assertEquals("hello, python!", r.text());
        assertEquals(0, r.retains.get());
        assertEquals(0, w.retains.get());
        h.close();
    }

    @Test
    void everyDataCallbackGetsItsArguments() {
        PythonPlugin p = Scripts.load("ramdisk2.py", "size", "1M", "other", "x=y");
        assertEquals("[('other', 'x=y'), ('size', '1M')]", Scripts.call(p, "_params"));
        Scripts.call(p, "_calls");
        Handle h = p.open(new OpenContext(true, "the-export", false));
        h.pwrite(TestBuffer.of("abcd"), 0, Flags.FUA);
        h.pread(new TestBuffer(4), 0, 0);
        h.flush(0);
        h.trim(512, 1024, Flags.FUA);
        h.zero(512, 2048, Flags.MAY_TRIM | Flags.FAST_ZERO);
        h.cache(4096, 0, 0);
        List<long[]> ext = new ArrayList<>();
        h.extents(1000, 4096, Flags.REQ_ONE, (o, l, t) -> ext.add(new long[] {o, l, t}));
        h.close();
        assertEquals("[('open', True, 'the-export'), ('pwrite', 4, 0, 2), ('pread', 4, 0, 0, 'the-export'), "
                + "('flush', 0), ('trim', 512, 1024, 2), ('zero', 512, 2048, 9), ('cache', 4096, 0, 0), "
                + "('extents', 1000, 4096, 4), 'close']", Scripts.call(p, "_calls"));
        assertEquals(2, ext.size());
        assertArrayEquals(new long[] {4096, 500, Extent.DATA}, ext.get(0));
        assertArrayEquals(new long[] {4596, 500, Extent.HOLE | Extent.ZERO}, ext.get(1));
    }

    @Test
    void capabilitiesFollowTheCallbacksThatExist() {
        PythonPlugin p = Scripts.load("ramdisk2.py");
        Handle h = p.open(Scripts.ctx());
        assertTrue(h.canWrite());
        assertTrue(h.canFlush());
        assertTrue(h.canTrim());
        assertTrue(h.canZero());
        assertFalse(h.canFastZero(), "can_fast_zero defaults to not can_zero");
        assertTrue(h.canExtents());
        assertEquals(FuaMode.EMULATE, h.canFua());
        assertEquals(CacheMode.NATIVE, h.canCache());
        assertFalse(h.canMultiConn());
        assertFalse(h.isRotational());
        assertNull(h.blockSize());
        assertNull(h.exportDescription());
        h.close();
    }

    @Test
    void defaultsForAMinimalScript() {
        PythonPlugin p = Scripts.load("minimal.py");
        assertEquals(ThreadModel.SERIALIZE_ALL_REQUESTS, p.threadModel());
        assertNull(p.listExports(false, false));
        assertEquals("", p.defaultExport(false, false));
        p.preconnect(false);
        p.getReady();
        p.afterFork();
        Handle h = p.open(Scripts.ctx());
        assertEquals(4096, h.getSize());
        assertFalse(h.canWrite());
        assertFalse(h.canFlush());
        assertFalse(h.canTrim());
        assertFalse(h.canZero());
        assertTrue(h.canFastZero());
        assertFalse(h.canExtents());
        assertEquals(FuaMode.NONE, h.canFua());
        assertEquals(CacheMode.NONE, h.canCache());
        assertFalse(h.canMultiConn());
        assertFalse(h.isRotational());
        assertNull(h.blockSize());
        assertNull(h.exportDescription());
        PluginException e = assertThrows(PluginException.class, () -> h.pwrite(TestBuffer.of("x"), 0, 0));
        assertEquals(30, e.errno());
        assertThrows(PluginException.class, () -> h.zero(1, 0, 0));
        List<long[]> ext = new ArrayList<>();
        h.extents(100, 0, 0, (o, l, t) -> ext.add(new long[] {o, l, t}));
        assertArrayEquals(new long[] {0, 100, 0}, ext.get(0));
        h.cache(1, 0, 0);
        h.close();
        p.cleanup();
    }

    @Test
    void capabilityCallbacksAcceptTruthyValues() {
        PythonPlugin p = Scripts.load("caps.py");
        p.getReady();
        p.afterFork();
        p.preconnect(true);
        assertEquals("(True, True, [True])", Scripts.call(p, "_state"));
        assertEquals(List.of(Export.named("plain"), new Export("described", "the second one"),
                Export.named("nodesc")), p.listExports(false, false));
        assertEquals("plain", p.defaultExport(false, false));
        assertEquals("tls", p.defaultExport(false, true));
        Handle h = p.open(Scripts.ctx("x1"));
        assertEquals(1_000_000_000_000L, h.getSize());
        assertEquals("a disk for x1", h.exportDescription());
        assertEquals(new BlockSize(512, 4096, 1024 * 1024), h.blockSize());
        assertTrue(h.isRotational());
        assertTrue(h.canMultiConn());
        assertFalse(h.canWrite());
        assertTrue(h.canFlush());
        assertFalse(h.canTrim());
        assertTrue(h.canZero());
        assertTrue(h.canFastZero());
        assertFalse(h.canExtents());
        assertEquals(FuaMode.NATIVE, h.canFua());
        assertEquals(CacheMode.EMULATE, h.canCache());
        h.close();
    }

    @Test
    void apiVersion1Signatures() {
        PythonPlugin p = Scripts.load("api1.py");
        Handle h = p.open(Scripts.ctx());
        h.pwrite(TestBuffer.of("version one"), 100, Flags.FUA);
        TestBuffer r = new TestBuffer(11);
        h.pread(r, 100, 0);
        assertEquals("version one", r.text());
        TestBuffer longer = new TestBuffer(16);
        h.pread(longer, 2048, 0);   // a longer buffer is fine: the first count bytes are used
        h.flush(0);
        h.trim(10, 20, Flags.FUA);
        h.zero(30, 40, Flags.MAY_TRIM);
        h.zero(50, 60, 0);
        List<long[]> ext = new ArrayList<>();
        h.extents(512, 0, 0, (o, l, t) -> ext.add(new long[] {o, l, t}));
        assertEquals("[('pwrite', 11, 100), ('pread', 11, 100), ('pread', 16, 2048), ('flush',), "
                + "('trim', 10, 20), ('zero', 30, 40, True), ('zero', 50, 60, False)]", Scripts.call(p, "_calls"));
        assertTrue(h.canWrite());
        assertEquals(FuaMode.EMULATE, h.canFua());

        PluginException shortRead = assertThrows(PluginException.class, () -> h.pread(new TestBuffer(64), 512, 0));
        assertTrue(Scripts.text(shortRead).contains("too small"), Scripts.text(shortRead));
        PluginException notBuffer = assertThrows(PluginException.class, () -> h.pread(new TestBuffer(64), 1024, 0));
        assertTrue(Scripts.text(notBuffer).contains("expected a buffer"), Scripts.text(notBuffer));
        h.close();
    }

    @Test
    void unknownApiVersionIsRefused() {
        PythonPlugin p = new PythonPlugin();
        PluginException e = assertThrows(PluginException.class, () -> p.config("script", Scripts.path("api3.py")));
        assertTrue(Scripts.text(e).contains("API_VERSION requested unknown version: 3"), Scripts.text(e));
    }

    @Test
    void dumpPluginPrintsPythonLinesThenTheScripts() {
        PythonPlugin p = Scripts.load("dump.py");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        p.dumpPlugin(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String[] lines = bytes.toString(StandardCharsets.UTF_8).split("\n");
        assertTrue(lines[0].matches("python_version=3\\.\\d+\\.\\d+"), lines[0]);
        assertEquals("python_pep_384_abi_version=3", lines[1]);
        assertEquals("nbdkit_python_maximum_api_version=2", lines[2]);
        assertTrue(lines[3].startsWith("python_interpreter=/"), lines[3]);
        assertTrue(lines[4].startsWith("python_libpython=/") && lines[4].contains("libpython3"), lines[4]);
        assertEquals("dump_key=dump_value", lines[5]);
        assertEquals("second_key=2", lines[6]);
        assertEquals(7, lines.length);
    }

    @Test
    void dumpPluginWithoutScript() {
        PythonPlugin p = new PythonPlugin();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        p.dumpPlugin(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        assertEquals(5, bytes.toString(StandardCharsets.UTF_8).split("\n").length);
    }

    @Test
    void configWithoutScriptFirstIsAnError() {
        PythonPlugin p = new PythonPlugin();
        PluginException e = assertThrows(PluginException.class, () -> p.config("size", "1M"));
        assertTrue(Scripts.text(e).contains("script="), Scripts.text(e));
        assertThrows(PluginException.class, p::configComplete);
    }

    @Test
    void missingScriptFile() {
        PythonPlugin p = new PythonPlugin();
        PluginException e = assertThrows(PluginException.class, () -> p.config("script", "/nonexistent/x.py"));
        assertTrue(Scripts.text(e).contains("/nonexistent/x.py"), Scripts.text(e));
    }

    @Test
    void eachScriptGetsAFreshMainModule() {
        Scripts.load("ramdisk2.py");
        PythonPlugin p = Scripts.load("minimal.py");
        Handle h = p.open(Scripts.ctx());
        assertFalse(h.canWrite(), "pwrite from an earlier script must not leak into this one");
        h.close();
    }
}
