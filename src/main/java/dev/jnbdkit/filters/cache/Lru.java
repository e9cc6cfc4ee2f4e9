package dev.jnbdkit.filters.cache;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.function.LongPredicate;

/**
 * The cached blocks in order of last use, least recent first (for cache-max-size): touched on
 * every read and write of a block, forgotten when a block is reclaimed. Thread-safe (one monitor:
 * each call is a few map operations).
 */
final class Lru {
    private final LinkedHashMap<Long, Boolean> order = new LinkedHashMap<>(16, 0.75f, true);

    synchronized void touch(long block) { order.put(block, Boolean.TRUE); }

    synchronized void touch(long first, long end) {
        for (long b = first; b < end; b++) order.put(b, Boolean.TRUE);
    }

    synchronized void forget(long block) { order.remove(block); }

    synchronized int size() { return order.size(); }

    /**
     * The least recently used block that {@code usable} accepts (it may lock it, say), removed
     * from the order, or -1 when there is none.
     */
    synchronized long takeEldest(LongPredicate usable) {
        for (Iterator<Long> it = order.keySet().iterator(); it.hasNext(); ) {
            long b = it.next();
            if (usable.test(b)) {
                it.remove();
                return b;
            }
        }
        return -1;
    }
}
