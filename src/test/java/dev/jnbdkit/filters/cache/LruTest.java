package dev.jnbdkit.filters.cache;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class LruTest {
    @Test
    void eldestFirstAndTouchMovesToTheEnd() {
        Lru l = new Lru();
        l.touch(0, 5);
        l.touch(0);
        l.touch(3);
        assertEquals(1, l.takeEldest(b -> true));
        assertEquals(4, l.takeEldest(b -> b != 2));
        l.forget(2);
        assertEquals(0, l.takeEldest(b -> true));
        assertEquals(3, l.takeEldest(b -> true));
        assertEquals(-1, l.takeEldest(b -> true));
        assertEquals(0, l.size());
    }
}
