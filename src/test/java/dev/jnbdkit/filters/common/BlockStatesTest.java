package dev.jnbdkit.filters.common;

import org.junit.jupiter.api.Test;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

class BlockStatesTest {
    @Test
    void statesRunsAndNextNonZero() {
        BlockStates s = new BlockStates(100);
        assertEquals(0, s.get(99));
        assertEquals(100, s.runEnd(0, 100));
        assertEquals(-1, s.nextNonZero(0));
        s.set(31, 3);
        s.set(32, 1);
        s.setRange(40, 45, 2);
        assertEquals(3, s.get(31));
        assertEquals(1, s.get(32));
        assertEquals(0, s.get(30));
        assertEquals(31, s.runEnd(0, 100));
        assertEquals(32, s.runEnd(31, 100));
        assertEquals(45, s.runEnd(40, 100));
        assertEquals(43, s.runEnd(40, 43));
        assertEquals(31, s.nextNonZero(0));
        assertEquals(32, s.nextNonZero(32));
        assertEquals(40, s.nextNonZero(33));
        assertEquals(-1, s.nextNonZero(45));
        s.set(31, 0);
        assertEquals(32, s.nextNonZero(0));
    }

    @Test
    void neighboursSetAtOnceKeepEachOthersState() throws InterruptedException {
        // 32 blocks share a word: threads setting different blocks must not lose updates.
        BlockStates s = new BlockStates(64);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        for (int t = 0; t < 4; t++) {
            int base = t;
            pool.execute(() -> {
                for (int round = 0; round < 2000; round++) {
                    for (int b = base; b < 64; b += 4) s.set(b, 1 + (round + b) % 3);
                }
                for (int b = base; b < 64; b += 4) s.set(b, 1 + b % 3);
            });
        }
        pool.shutdown();
        pool.awaitTermination(1, TimeUnit.MINUTES);
        for (int b = 0; b < 64; b++) assertEquals(1 + b % 3, s.get(b), "block " + b);
    }
}
