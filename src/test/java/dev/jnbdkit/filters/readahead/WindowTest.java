package dev.jnbdkit.filters.readahead;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

class WindowTest {
    private static final long DISK = 100L << 20;

    @Test
    void sequentialReadsGrowTheWindowAndNeverPrefetchTwice() {
        Window w = new Window();
        assertArrayEquals(new long[] {4096, 32768}, w.afterRead(0, 4096, DISK));
        // Sequential: the window doubles to 64K past this read's end; what was prefetched is skipped.
        assertArrayEquals(new long[] {36864, 36864}, w.afterRead(4096, 4096, DISK)); // up to 8192 + 64K
        assertArrayEquals(new long[] {73728, 69632}, w.afterRead(8192, 4096, DISK)); // up to 12288 + 128K
    }

    @Test
    void aJumpShrinksTheWindowAndTheDiskEndClipsIt() {
        Window w = new Window();
        w.afterRead(0, 4096, DISK);
        w.afterRead(4096, 4096, DISK);
        assertArrayEquals(new long[] {1 << 20, Window.MIN}, w.afterRead((1 << 20) - 4096, 4096, DISK));
        assertArrayEquals(new long[] {DISK - 1000, 1000}, w.afterRead(0, DISK - 1000, DISK));
        assertNull(w.afterRead(DISK - 1000, 1000, DISK));
    }

    @Test
    void theWindowStopsGrowingAtItsMaximum() {
        Window w = new Window();
        long off = 0;
        long[] last = null;
        for (int i = 0; i < 20; i++) {
            last = w.afterRead(off, 65536, DISK);
            off += 65536;
        }
        // Each read now tops the prefetch up to 4 MiB past its end: one read's worth.
        assertArrayEquals(new long[] {off - 65536 + Window.MAX, 65536}, last);
    }
}
