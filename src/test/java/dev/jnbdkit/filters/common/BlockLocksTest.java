package dev.jnbdkit.filters.common;

import org.junit.jupiter.api.Test;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BlockLocksTest {
    @Test
    void stripesAreTheBlocksModuloSixtyFourAndWrap() {
        assertEquals(1L, BlockLocks.stripesOf(0, 1));
        assertEquals(1L << 5, BlockLocks.stripesOf(69, 70));
        assertEquals(0b1110L, BlockLocks.stripesOf(1, 4));
        assertEquals((1L << 63) | 1L, BlockLocks.stripesOf(63, 65), "a run over stripe 63 wraps to 0");
        assertEquals(-1L, BlockLocks.stripesOf(10, 74));
        assertEquals(-1L, BlockLocks.stripesOf(0, 1000));
    }

    @Test
    void aHeldBlockExcludesOthersOnItsStripeUntilReleased() throws Exception {
        BlockLocks locks = new BlockLocks();
        CountDownLatch got = new CountDownLatch(1);
        Thread other;
        try (var held = locks.lock(3, 5)) {
            other = Thread.ofPlatform().start(() -> {
                try (var h = locks.lock(64 + 4, 64 + 5)) { got.countDown(); } // block 68: stripe 4
            });
            assertFalse(got.await(200, TimeUnit.MILLISECONDS), "stripe 4 is held");
            try (var free = locks.lock(5, 6)) { } // stripe 5 is free: no wait
        }
        assertTrue(got.await(10, TimeUnit.SECONDS));
        other.join();
    }
}
