package dev.jnbdkit.filters.cache;

import dev.jnbdkit.filters.common.MemoryNext;
import dev.jnbdkit.filters.common.ReadPolicy;
import dev.jnbdkit.filters.common.TempStore;
import dev.jnbdkit.spi.Flags;
import dev.jnbdkit.spi.IoBuffer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The cache against a byte-array model, in each mode, with and without a size limit. */
class CacheTest {
    @ParameterizedTest
    @CsvSource({"WRITEBACK, -1", "WRITEBACK, 1048576", "WRITETHROUGH, -1", "WRITETHROUGH, 1048576",
            "UNSAFE, -1", "UNSAFE, 1048576"})
    void randomOperationsMatchTheModel(CacheMode mode, long maxSize) {
        int size = 3 * 1048576 + 1234;
        long blockSize = 65536;
        Random rnd = new Random(mode.ordinal() * 7 + maxSize);
        byte[] plugin = new byte[size];
        rnd.nextBytes(plugin);
        byte[] model = plugin.clone();
        MemoryNext next = new MemoryNext(plugin, true);
        try (Cache c = new Cache(TempStore.create("test"), blockSize, size, mode, new ReadPolicy.Fixed(true),
                maxSize, 95, 80)) {
            for (int i = 0; i < 500; i++) {
                int off = rnd.nextInt(size), len = 1 + rnd.nextInt(Math.min(size - off, 200000));
                switch (rnd.nextInt(6)) {
                    case 0, 1 -> {
                        byte[] data = new byte[len];
                        rnd.nextBytes(data);
                        c.write(next, MemoryNext.buffer(data), off, rnd.nextInt(4) == 0 ? Flags.FUA : 0);
                        System.arraycopy(data, 0, model, off, len);
                    }
                    case 2 -> {
                        c.zero(next, len, off, rnd.nextBoolean() ? Flags.MAY_TRIM : 0);
                        Arrays.fill(model, off, off + len, (byte) 0);
                    }
                    case 3 -> c.prefetch(next, len, off);
                    case 4 -> {
                        if (rnd.nextInt(5) == 0) c.flush(next);
                    }
                    default -> {
                        IoBuffer b = IoBuffer.allocate(len);
                        c.read(next, b, off);
                        assertArrayEquals(Arrays.copyOfRange(model, off, off + len), MemoryNext.bytesOf(b),
                                "read " + off + "+" + len);
                    }
                }
                if (maxSize > 0) {
                    assertTrue(c.cachedBytes() <= maxSize + 8 * blockSize, "cache over its limit: " + c.cachedBytes());
                }
            }
            IoBuffer all = IoBuffer.allocate(size);
            c.read(next, all, 0);
            assertArrayEquals(model, MemoryNext.bytesOf(all));
            c.flush(next);
            if (mode != CacheMode.UNSAFE) assertArrayEquals(model, plugin, "after flush the plugin has everything");
        }
    }
}
