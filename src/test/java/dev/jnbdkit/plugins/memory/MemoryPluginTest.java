package dev.jnbdkit.plugins.memory;

import dev.jnbdkit.plugins.TestIo;
import dev.jnbdkit.plugins.TestIo.E;
import dev.jnbdkit.spi.CacheMode;
import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.Extent;
import dev.jnbdkit.spi.Flags;
import dev.jnbdkit.spi.FuaMode;
import dev.jnbdkit.spi.Handle;
import dev.jnbdkit.spi.OpenContext;
import dev.jnbdkit.spi.PluginException;
import dev.jnbdkit.spi.ThreadModel;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.*;

class MemoryPluginTest {
    static final OpenContext CTX = new OpenContext(false, "", false);
    static final int HOLE_ZERO = Extent.HOLE | Extent.ZERO;
    static final long CHUNK = SparseStore.CHUNK;

    static MemoryPlugin plugin(String... kv) {
        MemoryPlugin p = new MemoryPlugin();
        p.load();
        for (String a : kv) {
            int eq = a.indexOf('=');
            if (eq < 0) p.config(p.magicConfigKey(), a); else p.config(a.substring(0, eq), a.substring(eq + 1));
        }
        p.configComplete();
        p.getReady();
        return p;
    }

    @Test
    void bareSizeIsTheMagicKey() {
        MemoryPlugin p = plugin("1G");
        assertEquals("size", p.magicConfigKey());
        assertEquals(1L << 30, p.open(CTX).getSize());
        assertEquals(ThreadModel.PARALLEL, p.threadModel());
        assertEquals("memory", p.name());
    }

    @Test
    void aViewTakenBeforeATrimStillShowsTheDataTheReadSaw() {
        Handle h = plugin("size=1M").open(CTX);
        byte[] data = new byte[(int) CHUNK * 2];
        Arrays.fill(data, (byte) 7);
        TestIo.write(h, 0, data, 0);
        var views = h.preadViews(CHUNK * 2, 0, 0);
        assertEquals(2, views.length, "one view per chunk");
        h.trim(CHUNK * 2, 0, 0);
        System.gc(); // a dropped chunk must not be freed while a view references it
        for (var v : views) {
            for (long i = 0; i < v.byteSize(); i++) assertEquals(7, v.get(java.lang.foreign.ValueLayout.JAVA_BYTE, i));
        }
        assertArrayEquals(new byte[(int) CHUNK * 2], MemoryModelTest.viewed(h, 0, (int) CHUNK * 2));
    }

    @Test
    void viewsOfAHoleAreZerosAndCannotBeWritten() {
        Handle h = plugin("size=1M").open(CTX);
        var views = h.preadViews(100, CHUNK - 50, 0);
        assertEquals(2, views.length, "the range crosses a chunk boundary");
        assertEquals(50, views[0].byteSize());
        assertThrows(IllegalArgumentException.class, () -> views[0].set(java.lang.foreign.ValueLayout.JAVA_BYTE, 0, (byte) 1));
        assertArrayEquals(new byte[100], MemoryModelTest.viewed(h, CHUNK - 50, 100));
    }

    @Test
    void sizeIsRequired() {
        MemoryPlugin p = new MemoryPlugin();
        PluginException e = assertThrows(PluginException.class, p::configComplete);
        assertEquals("you must specify size=<SIZE> on the command line", e.getMessage());
        assertEquals(Errno.EINVAL, e.errno());
    }

    @Test
    void badParameters() {
        MemoryPlugin p = new MemoryPlugin();
        assertEquals("unknown parameter 'foo'", assertThrows(PluginException.class, () -> p.config("foo", "1")).getMessage());
        assertEquals("unknown allocator \"bogus\"",
                assertThrows(PluginException.class, () -> p.config("allocator", "bogus")).getMessage());
        assertThrows(PluginException.class, () -> p.config("size", "1X"));
        p.config("allocator", "zstd");
        // nbdkit's second line (the first, what is wrong, goes to the log)
        for (String bad : new String[] {"malloc,mlock=maybe", "sparse,mlock=true", "malloc,foo=1", "zstd,mlock=true"}) {
            assertEquals("unknown allocator \"" + bad + "\"",
                    assertThrows(PluginException.class, () -> p.config("allocator", bad)).getMessage());
        }
        p.config("allocator", "malloc,mlock=false");
        p.config("allocator", "malloc,mlock=true");
        p.config("allocator", "malloc,mlock");
        p.config("allocator", "sparse");
    }

    @Test
    void capabilities() {
        Handle h = plugin("size=1M").open(CTX);
        assertTrue(h.canWrite());
        assertTrue(h.canFlush());
        assertTrue(h.canTrim());
        assertTrue(h.canZero());
        assertTrue(h.canFastZero());
        assertTrue(h.canExtents());
        assertTrue(h.canMultiConn());
        assertEquals(FuaMode.NATIVE, h.canFua());
        assertEquals(CacheMode.NATIVE, h.canCache());
        h.flush(0);
        h.cache(4096, 0, 0);
    }

    @Test
    void hugeSparseDiskIsCheap() {
        for (String size : new String[] {"1T", "100T", String.valueOf(Long.MAX_VALUE)}) {
            MemoryPlugin p = plugin(size);
            Handle h = p.open(CTX);
            long sz = h.getSize();
            assertEquals(0, p.allocatedBytes());
            assertArrayEquals(new byte[4096], TestIo.read(h, sz - 4096, 4096));
            byte[] data = "hello, far end".getBytes();
            TestIo.write(h, sz - data.length, data);
            TestIo.write(h, 0, data);
            TestIo.write(h, sz / 2 + 1, data);
            assertArrayEquals(data, TestIo.read(h, sz - data.length, data.length));
            assertArrayEquals(data, TestIo.read(h, sz / 2 + 1, data.length));
            assertTrue(p.allocatedBytes() <= 4 * CHUNK, "allocated " + p.allocatedBytes());
            // extents over the whole disk, in 4 GiB requests as a client would ask
            List<E> ex = TestIo.extents(h, 0, 1L << 32, 0);
            assertEquals(new E(0, CHUNK, Extent.DATA), ex.get(0));
            assertEquals(new E(CHUNK, (1L << 32) - CHUNK, HOLE_ZERO), ex.get(1));
            // a huge trim over mostly unallocated space is quick and frees everything
            h.trim(sz, 0, 0);
            assertEquals(0, p.allocatedBytes());
            assertArrayEquals(new byte[data.length], TestIo.read(h, sz - data.length, data.length));
        }
    }

    @Test
    void extentsFollowChunks() {
        MemoryPlugin p = plugin("1M");
        Handle h = p.open(CTX);
        assertEquals(List.of(new E(0, 1 << 20, HOLE_ZERO)), TestIo.extents(h, 0, 1 << 20, 0));
        TestIo.write(h, 3 * CHUNK + 5, new byte[] {1});
        assertEquals(List.of(new E(0, 3 * CHUNK, HOLE_ZERO), new E(3 * CHUNK, CHUNK, Extent.DATA),
                        new E(4 * CHUNK, (1 << 20) - 4 * CHUNK, HOLE_ZERO)),
                TestIo.extents(h, 0, 1 << 20, 0));
        // starting mid-extent, and REQ_ONE
        assertEquals(List.of(new E(100, 3 * CHUNK - 100, HOLE_ZERO)),
                TestIo.extents(h, 100, 1 << 20, Flags.REQ_ONE));
        assertEquals(new E(3 * CHUNK + 1, 10, Extent.DATA),
                TestIo.extents(h, 3 * CHUNK + 1, 10, 0).get(0));
        // extents never run past the end of the disk
        TestIo.write(h, (1 << 20) - 1, new byte[] {1});
        List<E> tail = TestIo.extents(h, (1 << 20) - 10, 1 << 20, 0);
        assertEquals(List.of(new E((1 << 20) - 10, 10, Extent.DATA)), tail);
    }

    @Test
    void zeroAndTrimFreeFullyCoveredChunksAndZeroPartialOnes() {
        for (String alloc : new String[] {"sparse", "malloc"}) {
            MemoryPlugin p = plugin("1M", "allocator=" + alloc);
            Handle h = p.open(CTX);
            byte[] ones = new byte[(int) (4 * CHUNK)];
            Arrays.fill(ones, (byte) 1);
            TestIo.write(h, 0, ones);
            h.zero(10, 2 * CHUNK + 10, Flags.MAY_TRIM);          // partial: stays allocated
            h.trim(CHUNK, CHUNK, 0);                           // full chunk: freed
            byte[] expect = ones.clone();
            Arrays.fill(expect, (int) CHUNK, (int) (2 * CHUNK), (byte) 0);
            Arrays.fill(expect, (int) (2 * CHUNK + 10), (int) (2 * CHUNK + 20), (byte) 0);
            assertArrayEquals(expect, TestIo.read(h, 0, ones.length));
            if (alloc.equals("sparse")) {
                assertEquals(3 * CHUNK, p.allocatedBytes());
                assertEquals(new E(CHUNK, CHUNK, HOLE_ZERO), TestIo.extents(h, 0, 1 << 20, 0).get(1));
            } else {
                assertEquals(List.of(new E(0, 1 << 20, Extent.DATA)), TestIo.extents(h, 0, 1 << 20, 0));
            }
        }
    }

    @Test
    void allConnectionsShareOneDisk() {
        MemoryPlugin p = plugin("1M");
        Handle a = p.open(CTX), b = p.open(CTX);
        TestIo.write(a, 1000, new byte[] {9, 8, 7});
        assertArrayEquals(new byte[] {9, 8, 7}, TestIo.read(b, 1000, 3));
        a.close();
        assertArrayEquals(new byte[] {9, 8, 7}, TestIo.read(b, 1000, 3));
    }

    @Test
    void parallelWritesToTheSameFreshChunksAreNotLost() throws Exception {
        int threads = 8;
        int rounds = 200;
        ExecutorService ex = Executors.newFixedThreadPool(threads);
        try {
            for (int r = 0; r < rounds; r++) {
                MemoryPlugin p = plugin("256K");
                Handle h = p.open(CTX);
                CountDownLatch go = new CountDownLatch(1);
                List<Future<?>> fs = new ArrayList<>();
                // each thread writes its own 512-byte slices of every chunk: all race to allocate
                for (int t = 0; t < threads; t++) {
                    int id = t;
                    fs.add(ex.submit(() -> {
                        go.await();
                        byte[] d = new byte[512];
                        Arrays.fill(d, (byte) (id + 1));
                        for (long c = 0; c < 256 * 1024; c += CHUNK) TestIo.write(h, c + id * 512L, d);
                        return null;
                    }));
                }
                go.countDown();
                for (Future<?> f : fs) f.get();
                for (long c = 0; c < 256 * 1024; c += CHUNK) {
                    byte[] got = TestIo.read(h, c, threads * 512);
                    for (int t = 0; t < threads; t++) {
                        for (int i = 0; i < 512; i++) {
                            assertEquals(t + 1, got[t * 512 + i], "round " + r + " chunk " + c + " thread " + t);
                        }
                    }
                }
                assertEquals(256 * 1024, p.allocatedBytes());
            }
        } finally {
            ex.shutdownNow();
        }
    }
}
