package dev.jnbdkit.plugins.memory;

import dev.jnbdkit.plugins.TestIo;
import dev.jnbdkit.spi.Flags;
import dev.jnbdkit.spi.Handle;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Threads hammer one disk with writes, trims and zeros that free and re-allocate chunks, each on
 * bytes it owns: whole chunks of its own, and a 512-byte slice of every shared chunk. Each thread
 * checks its bytes against its own model: no write is lost, nothing another thread does leaks in.
 */
class MemoryConcurrencyTest {
    static final int THREADS = 4;
    static final int OWN_CHUNKS = 8;              // per thread
    static final long CHUNK = SparseStore.CHUNK;
    static final long SHARED_BASE = THREADS * OWN_CHUNKS * CHUNK;
    static final int SHARED_CHUNKS = 8;
    static final int SLICE = 512;

    @Test
    void ownersNeverSeeLostOrForeignBytes() throws Exception {
        for (boolean calloc : new boolean[] {false, true}) {
            NativeAlloc.useCalloc(calloc);
            try {
                run();
            } finally {
                NativeAlloc.useCalloc(false);
            }
        }
    }

    private void run() throws Exception {
        MemoryPlugin p = MemoryPluginTest.plugin("size=" + (SHARED_BASE + SHARED_CHUNKS * CHUNK));
        ExecutorService ex = Executors.newFixedThreadPool(THREADS);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<?>> fs = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int id = t;
                fs.add(ex.submit(() -> {
                    Handle h = p.open(MemoryPluginTest.CTX);
                    Random rnd = new Random(id);
                    byte[] own = new byte[(int) (OWN_CHUNKS * CHUNK)];      // model of own chunks
                    byte[][] slices = new byte[SHARED_CHUNKS][SLICE];       // model of own shared slices
                    long ownBase = id * OWN_CHUNKS * CHUNK;
                    go.await();
                    for (int i = 0; i < 3000; i++) {
                        int op = rnd.nextInt(6);
                        if (op < 4) {
                            // own chunks: any range inside them
                            int off = rnd.nextInt(own.length);
                            int len = 1 + rnd.nextInt(Math.min(own.length - off, (int) (2 * CHUNK)));
                            switch (op) {
                                case 0 -> {
                                    byte[] d = new byte[len];
                                    rnd.nextBytes(d);
                                    TestIo.write(h, ownBase + off, d);
                                    System.arraycopy(d, 0, own, off, len);
                                }
                                case 1 -> { h.trim(len, ownBase + off, 0); Arrays.fill(own, off, off + len, (byte) 0); }
                                case 2 -> { h.zero(len, ownBase + off, Flags.MAY_TRIM); Arrays.fill(own, off, off + len, (byte) 0); }
                                default -> assertArrayEquals(Arrays.copyOfRange(own, off, off + len),
                                        TestIo.read(h, ownBase + off, len), "thread " + id + " own " + off);
                            }
                        } else {
                            int c = rnd.nextInt(SHARED_CHUNKS);
                            long at = SHARED_BASE + c * CHUNK + (long) id * SLICE;
                            if (op == 4) {
                                byte[] d = new byte[SLICE];
                                rnd.nextBytes(d);
                                if (rnd.nextBoolean()) {
                                    TestIo.write(h, at, d);
                                    slices[c] = d;
                                } else {
                                    h.zero(SLICE, at, Flags.MAY_TRIM);
                                    slices[c] = new byte[SLICE];
                                }
                            } else {
                                assertArrayEquals(slices[c], TestIo.read(h, at, SLICE), "thread " + id + " shared " + c);
                            }
                        }
                        if (i % 1000 == 999) System.gc();
                    }
                    assertArrayEquals(own, TestIo.read(h, ownBase, own.length));
                    for (int c = 0; c < SHARED_CHUNKS; c++) {
                        assertArrayEquals(slices[c], TestIo.read(h, SHARED_BASE + c * CHUNK + (long) id * SLICE, SLICE));
                    }
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> f : fs) f.get();
        } finally {
            ex.shutdownNow();
        }
    }
}
