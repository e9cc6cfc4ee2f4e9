package dev.jnbdkit.python;

import dev.jnbdkit.spi.Handle;
import dev.jnbdkit.spi.ThreadModel;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.*;

/** The GIL is released while Python sleeps: PARALLEL requests overlap. */
class ThreadsTest {
    @Test
    void fourSleepingReadsRunInParallel() throws Exception {
        PythonPlugin p = Scripts.load("sleep.py");
        assertEquals(ThreadModel.PARALLEL, p.threadModel());
        Handle h = p.open(Scripts.ctx());
        ExecutorService pool = Executors.newFixedThreadPool(4);   // platform threads
        try {
            long t0 = System.nanoTime();
            List<Future<?>> fs = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                final int n = i;
                fs.add(pool.submit(() -> h.pread(new TestBuffer(512), n * 512L, 0)));
            }
            for (Future<?> f : fs) f.get();
            double seconds = (System.nanoTime() - t0) / 1e9;
            assertTrue(seconds < 3.0, "4 × sleep(1) took " + seconds + " s: the GIL was not released");
        } finally {
            pool.shutdown();
        }
        h.close();
    }

    @Test
    void manyThreadsManyRequests() throws Exception {
        PythonPlugin p = Scripts.load("ramdisk2.py");
        Handle h = p.open(Scripts.ctx());
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> fs = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                final byte v = (byte) (t + 1);
                fs.add(pool.submit(() -> {
                    for (int i = 0; i < 100; i++) {
                        TestBuffer w = new TestBuffer(4096);
                        w.fill(v);
                        long off = (v * 100L + i) * 4096 % (1 << 20);
                        h.pwrite(w, off, 0);
                        TestBuffer r = new TestBuffer(4096);
                        h.pread(r, off, 0);
                    }
                    return null;
                }));
            }
            for (Future<?> f : fs) f.get();
        } finally {
            pool.shutdown();
        }
        h.close();
    }
}
