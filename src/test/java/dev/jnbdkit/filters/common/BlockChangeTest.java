package dev.jnbdkit.filters.common;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class BlockChangeTest {
    /** What a change was asked to do, in order: "p b from to" or "w wholeFrom wholeTo first end". */
    private static List<String> cut(long offset, long count, long blockSize, long size) {
        List<String> seen = new ArrayList<>();
        new BlockChange() {
            @Override protected void partial(long b, long from, long to) { seen.add("p " + b + " " + from + " " + to); }

            @Override protected void whole(long wholeFrom, long wholeTo, long first, long end) {
                seen.add("w " + wholeFrom + " " + wholeTo + " " + first + " " + end);
            }
        }.apply(offset, count, blockSize, size);
        return seen;
    }

    @Test
    void alignedRangesAreWholeBlocksOnly() {
        assertEquals(List.of("w 0 300 0 3"), cut(0, 300, 100, 1000));
        assertEquals(List.of("w 100 200 1 2"), cut(100, 100, 100, 1000));
    }

    @Test
    void aPartialHeadAndTailAreCutOffTheWholeBlocks() {
        assertEquals(List.of("p 0 50 100", "p 3 300 320", "w 100 300 1 3"), cut(50, 270, 100, 1000));
        assertEquals(List.of("p 0 50 100", "w 100 200 1 2"), cut(50, 150, 100, 1000));
        assertEquals(List.of("p 1 100 150"), cut(100, 50, 100, 1000));
    }

    @Test
    void aRangeInsideOneBlockIsOnePartialBlock() {
        assertEquals(List.of("p 2 210 220"), cut(210, 10, 100, 1000));
    }

    @Test
    void theLastBlockStopsAtTheEndOfTheDisk() {
        // 250 bytes in blocks of 100: block 2 is [200, 250), whole when the range reaches the end.
        assertEquals(List.of("w 200 250 2 3"), cut(200, 50, 100, 250));
        assertEquals(List.of("p 1 150 200", "w 200 250 2 3"), cut(150, 100, 100, 250));
        assertEquals(List.of("p 2 200 240"), cut(200, 40, 100, 250));
    }
}
