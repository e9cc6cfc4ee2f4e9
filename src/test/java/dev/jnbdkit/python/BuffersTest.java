package dev.jnbdkit.python;

import dev.jnbdkit.spi.Handle;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.*;

/** Request buffers lent to Python: zero copy, and never reused while Python can still see them. */
class BuffersTest {
    @Test
    void keptSliceRetainsTheBufferUntilPythonDropsIt() {
        PythonPlugin p = Scripts.load("keep.py");
        Handle h = p.open(Scripts.ctx());
        TestBuffer first = new TestBuffer(4096);
        h.pread(first, 0, 0);                 // the script keeps buf[0:8]
        assertEquals(1, first.retains.get(), "a buffer Python still sees must be retained");
        assertEquals(0, first.releases.get());
        assertEquals("AAAAAAAA", Scripts.call(p, "_kept"));

        TestBuffer second = new TestBuffer(4096);
        h.pread(second, 65536, 0);           // another request, another buffer
        assertEquals(0, second.retains.get());
        assertEquals("AAAAAAAA", Scripts.call(p, "_kept"), "the kept slice still shows the first request's data");
        byte[] b = second.bytes();
        byte[] expect = new byte[4096];
        Arrays.fill(expect, (byte) 'B');
        assertArrayEquals(expect, b);

        assertEquals("dropped", Scripts.call(p, "_drop"));
        assertEquals(1, first.releases.get(), "released once the last Python view is gone");
        assertEquals(1, first.refs.get(), "back to the server's own reference");
        h.close();
    }

    @Test
    void keptWholeBufferIsRetainedToo() {
        PythonPlugin p = Scripts.load("keep.py");
        Handle h = p.open(Scripts.ctx());
        TestBuffer buf = new TestBuffer(512);
        h.pread(buf, 4096, 0);
        assertEquals(1, buf.retains.get());
        assertEquals("WWWW", Scripts.call(p, "_kept_whole"));
        Scripts.call(p, "_drop");
        assertEquals(1, buf.releases.get());
        h.close();
    }

    @Test
    void keptExporterObjectCannotReachTheMemoryLater() {
        PythonPlugin p = Scripts.load("keep.py");
        Handle h = p.open(Scripts.ctx());
        TestBuffer buf = new TestBuffer(512);
        h.pread(buf, 8192, 0);
        assertEquals(0, buf.retains.get(), "holding buf.obj alone holds no export");
        String r = Scripts.call(p, "_kept_obj_view");
        assertTrue(r.startsWith("ValueError"), r);
        h.close();
    }

    @Test
    void pwriteSliceKeptIsRetained() {
        PythonPlugin p = Scripts.load("keep.py");
        Handle h = p.open(Scripts.ctx());
        TestBuffer w = TestBuffer.of("wxyz1234");
        h.pwrite(w, 0, 0);
        assertEquals(1, w.retains.get());
        assertEquals("wxyz", Scripts.call(p, "_kept"));
        Scripts.call(p, "_drop");
        assertEquals(1, w.releases.get());
        h.close();
    }

    @Test
    void noCopyPythonWritesStraightIntoTheRequestMemory() {
        PythonPlugin p = Scripts.load("ramdisk2.py");
        Handle h = p.open(Scripts.ctx());
        h.pwrite(TestBuffer.of("zero copy"), 0, 0);
        TestBuffer r = new TestBuffer(9);
        r.fill((byte) '?');
        h.pread(r, 0, 0);
        assertEquals("zero copy", r.text());
        assertEquals(0, r.retains.get());
        h.close();
    }

    @Test
    void largeBuffers() {
        PythonPlugin p = Scripts.load("ramdisk2.py");
        Handle h = p.open(Scripts.ctx());
        TestBuffer w = new TestBuffer(1 << 20);
        w.fill((byte) 7);
        h.pwrite(w, 0, 0);
        TestBuffer r = new TestBuffer(1 << 20);
        h.pread(r, 0, 0);
        assertArrayEquals(w.bytes(), r.bytes());
        h.close();
    }

    @Test
    void numpyArraysOverTheBufferAreCountedToo() throws Exception {
        Process probe = new ProcessBuilder(Interpreter.discover().executable(), "-c", "import numpy").start();
        org.junit.jupiter.api.Assumptions.assumeTrue(probe.waitFor() == 0, "numpy not installed");
        PythonPlugin p = Scripts.load("numpy_keep.py");
        Handle h = p.open(Scripts.ctx());
        TestBuffer first = new TestBuffer(4096);
        h.pread(first, 0, 0);
        assertEquals(1, first.retains.get());
        TestBuffer second = new TestBuffer(4096);
        h.pread(second, 4096, 0);
        assertEquals(0, second.retains.get());
        assertEquals(2, second.bytes()[0]);
        assertEquals("4096", Scripts.call(p, "_kept_sum"));
        Scripts.call(p, "_drop");
        assertEquals(1, first.releases.get());
        h.close();
    }
}
