package dev.jnbdkit.plugins.pattern;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertEquals;

class PatternTest {
    /** Any range, aligned or not, holds each byte of each word's big-endian offset. */
    @Test void everyByteIsItsWordsOffset() {
        try (Arena a = Arena.ofConfined()) {
            for (long start : new long[] {0, 1, 7, 8, 13, 0x7ffffffffffffff0L - 5}) {
                for (int len : new int[] {0, 1, 5, 8, 9, 31, 100}) {
                    if (start + len < 0) continue;
                    MemorySegment m = a.allocate(Math.max(1, len)).asSlice(0, len);
                    PatternPlugin.fill(m, start);
                    for (int i = 0; i < len; i++) {
                        long o = start + i;
                        long word = o & ~7L;
                        byte want = (byte) (word >>> (8 * (7 - (o & 7))));
                        assertEquals(want, m.get(ValueLayout.JAVA_BYTE, i), "offset " + o);
                    }
                }
            }
        }
    }
}
