package dev.jnbdkit.python;

import dev.jnbdkit.spi.Handle;
import dev.jnbdkit.spi.ThreadModel;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class PythonPluginTest {
    @Test
    void readWriteRoundTrip() {
        PythonPlugin p = Scripts.load("ramdisk2.py");
        assertEquals("python", p.name());
        assertEquals("script", p.magicConfigKey());
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
}
