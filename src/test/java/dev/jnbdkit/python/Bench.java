package dev.jnbdkit.python;

import dev.jnbdkit.log.Log;
import dev.jnbdkit.spi.Handle;

/** Manual measurement: start-up and per-request cost (not a test). */
public final class Bench {
    public static void main(String[] args) {
        long t0 = System.nanoTime();
        Log.setVerbose(args.length > 0 && args[0].equals("-v"));
        PythonPlugin p = Scripts.load(args.length > 1 ? args[1] : "ramdisk2.py");
        long t1 = System.nanoTime();
        Handle h = p.open(Scripts.ctx());
        TestBuffer b = new TestBuffer(4096);
        h.pread(b, 0, 0);
        long t2 = System.nanoTime();
        System.out.printf("load %.1f ms, first pread %.1f ms%n", (t1 - t0) / 1e6, (t2 - t1) / 1e6);
        for (int round = 0; round < 3; round++) {
            int n = 200_000;
            long s = System.nanoTime();
            for (int i = 0; i < n; i++) h.pread(b, (i * 4096L) % (1 << 20), 0);
            System.out.printf("pread 4K: %.2f µs/call%n", (System.nanoTime() - s) / 1e3 / n);
        }
    }
}
