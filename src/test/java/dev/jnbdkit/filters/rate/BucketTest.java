package dev.jnbdkit.filters.rate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class BucketTest {
    @Test
    void burstThenWait() {
        Bucket b = new Bucket(1000, 2.0); // 1000 bits/s, 2000 bits of burst, full at start
        assertEquals(0, b.take(1500)[0]);
        long[] r = b.take(1000); // 500 left: 500 missing, about half a second
        assertTrue(r[0] >= 499 && r[0] <= 500, "missing " + r[0]);
        assertTrue(r[1] >= 490_000_000L && r[1] <= 500_000_000L, "wait " + r[1]);
    }

    @Test
    void unlimited() {
        Bucket b = new Bucket(0, 2.0);
        assertEquals(0, b.take(Long.MAX_VALUE / 2)[0]);
    }

    @Test
    void lowerRateShrinksTheBurst() {
        Bucket b = new Bucket(1_000_000, 2.0);
        b.setRate(100);
        assertTrue(b.take(1000)[0] >= 799, "the burst is capped at the new capacity");
    }
}
