package dev.jnbdkit.filters.cow;

import dev.jnbdkit.filters.common.MemoryNext;
import dev.jnbdkit.filters.common.ReadPolicy;
import dev.jnbdkit.filters.common.TempStore;
import dev.jnbdkit.spi.Extent;
import dev.jnbdkit.spi.Extents;
import dev.jnbdkit.spi.Flags;
import dev.jnbdkit.spi.IoBuffer;
import dev.jnbdkit.spi.PluginException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The overlay against a byte-array model: random writes, zeroes, trims and reads of any alignment. */
class OverlayTest {
    @ParameterizedTest
    @CsvSource({"4096, 100000", "65536, 1048576", "65536, 300001", "8192, 8192", "1048576, 70000"})
    void randomOperationsMatchTheModelAndNeverTouchThePlugin(long blockSize, int size) {
        Random rnd = new Random(blockSize * 31 + size);
        byte[] plugin = new byte[size];
        rnd.nextBytes(plugin);
        byte[] pristine = plugin.clone(), model = plugin.clone();
        MemoryNext next = new MemoryNext(plugin, false);
        try (Overlay o = new Overlay(TempStore.create("test"), blockSize, size)) {
            for (int i = 0; i < 400; i++) {
                int off = rnd.nextInt(size), len = 1 + rnd.nextInt(Math.min(size - off, 3 * (int) blockSize));
                switch (rnd.nextInt(5)) {
                    case 0, 1 -> {
                        byte[] data = new byte[len];
                        rnd.nextBytes(data);
                        o.write(next, MemoryNext.buffer(data), off);
                        System.arraycopy(data, 0, model, off, len);
                    }
                    case 2 -> {
                        o.zero(next, len, off, rnd.nextBoolean() ? Flags.MAY_TRIM : 0);
                        Arrays.fill(model, off, off + len, (byte) 0);
                    }
                    case 3 -> {
                        o.trim(next, len, off);
                        Arrays.fill(model, off, off + len, (byte) 0);
                    }
                    default -> {
                        IoBuffer b = IoBuffer.allocate(len);
                        o.read(next, b, off, rnd.nextBoolean() ? ReadPolicy.OFF : new ReadPolicy.Fixed(true));
                        assertArrayEquals(Arrays.copyOfRange(model, off, off + len), MemoryNext.bytesOf(b), "read " + off + "+" + len);
                    }
                }
            }
            IoBuffer all = IoBuffer.allocate(size);
            o.read(next, all, 0, ReadPolicy.OFF);
            assertArrayEquals(model, MemoryNext.bytesOf(all));
            // Extents cover the disk, and every zero extent reads as zeros.
            Extents e = Extents.full(new ExtentsOf(o, next), size, 0, 0);
            assertEquals(size, e.covered());
            for (Extents.Entry x : e.entries()) {
                if ((x.type() & Extent.ZERO) != 0) {
                    for (long k = x.offset(); k < x.end(); k++) assertEquals(0, model[(int) k], "zero extent at " + k);
                }
            }
        }
        assertArrayEquals(pristine, plugin, "the plugin is never written");
        assertEquals(0, next.writes.get());
    }

    /** The overlay's extents as a Next (for Extents.full). */
    private record ExtentsOf(Overlay o, MemoryNext n) implements dev.jnbdkit.spi.Next {
        @Override public void extents(long count, long offset, int flags, dev.jnbdkit.spi.ExtentSink s) { o.extents(n, count, offset, flags, s); }
        @Override public String exportName() { return ""; }
        @Override public long getSize() { return o.size(); }
        @Override public String exportDescription() { return null; }
        @Override public dev.jnbdkit.spi.BlockSize blockSize() { return null; }
        @Override public boolean isRotational() { return false; }
        @Override public boolean canWrite() { return false; }
        @Override public boolean canFlush() { return false; }
        @Override public boolean canTrim() { return false; }
        @Override public dev.jnbdkit.spi.ZeroMode canZero() { return dev.jnbdkit.spi.ZeroMode.NONE; }
        @Override public boolean canFastZero() { return false; }
        @Override public boolean canExtents() { return true; }
        @Override public dev.jnbdkit.spi.FuaMode canFua() { return dev.jnbdkit.spi.FuaMode.NONE; }
        @Override public boolean canMultiConn() { return true; }
        @Override public dev.jnbdkit.spi.CacheMode canCache() { return dev.jnbdkit.spi.CacheMode.NONE; }
        @Override public void pread(IoBuffer buf, long offset, int flags) { throw new AssertionError(); }
        @Override public void pwrite(IoBuffer buf, long offset, int flags) { throw new AssertionError(); }
        @Override public void flush(int flags) { }
        @Override public void trim(long count, long offset, int flags) { }
        @Override public void zero(long count, long offset, int flags) { }
        @Override public void cache(long count, long offset, int flags) { }
        @Override public void prepareContext() { }
        @Override public void finalizeContext() { }
        @Override public void closeContext() { }
    }

    @Test
    void extentStatesAndFastZero() {
        MemoryNext next = new MemoryNext(new byte[4 * 65536 + 100], false);
        try (Overlay o = new Overlay(TempStore.create("test"), 65536, 4 * 65536 + 100)) {
            o.write(next, MemoryNext.buffer(new byte[10]), 5);     // block 0: data (read-modify-write)
            o.zero(next, 65536, 65536, 0);                        // block 1: zero
            o.zero(next, 65536, 2 * 65536, Flags.MAY_TRIM);       // block 2: hole,zero
            o.trim(next, 100, 4 * 65536);                         // short last block, whole: hole,zero
            assertEquals(Overlay.DATA, o.state(0));
            assertEquals(Overlay.ZERO, o.state(1));
            assertEquals(Overlay.TRIMMED, o.state(2));
            assertEquals(Overlay.ABSENT, o.state(3));
            assertEquals(Overlay.TRIMMED, o.state(4));
            PluginException fast = assertThrows(PluginException.class,
                    () -> o.zero(next, 100, 3 * 65536, Flags.FAST_ZERO));
            assertEquals(dev.jnbdkit.spi.Errno.ENOTSUP, fast.errno());
            assertEquals(Overlay.ABSENT, o.state(3), "a refused fast zero changes nothing");
            o.zero(next, 65536, 3 * 65536, Flags.FAST_ZERO);
            assertEquals(Overlay.ZERO, o.state(3));
        }
    }

    @Test
    void parallelPartialWritesOfTheSameBlocksLoseNothing() throws Exception {
        // 8 threads each own every 8th 512-byte sector; all hit the same 64K blocks at once.
        int size = 1 << 20, sector = 512, threads = 8;
        MemoryNext next = new MemoryNext(new byte[size], false);
        try (Overlay o = new Overlay(TempStore.create("test"), 65536, size)) {
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            Future<?>[] f = new Future<?>[threads];
            for (int t = 0; t < threads; t++) {
                byte tag = (byte) (t + 1);
                int first = t;
                f[t] = pool.submit(() -> {
                    byte[] data = new byte[sector];
                    Arrays.fill(data, tag);
                    for (int s = first; s < size / sector; s += threads) {
                        o.read(next, IoBuffer.allocate(sector), (long) s * sector, new ReadPolicy.Fixed(true));
                        o.write(next, MemoryNext.buffer(data), (long) s * sector);
                    }
                });
            }
            for (Future<?> x : f) x.get();
            pool.shutdown();
            IoBuffer all = IoBuffer.allocate(size);
            o.read(next, all, 0, ReadPolicy.OFF);
            byte[] got = MemoryNext.bytesOf(all);
            for (int s = 0; s < size / sector; s++) {
                assertEquals((byte) (s % threads + 1), got[s * sector], "sector " + s);
                assertEquals((byte) (s % threads + 1), got[s * sector + sector - 1], "sector " + s);
            }
            assertTrue(next.reads.get() > 0);
        }
    }
}
