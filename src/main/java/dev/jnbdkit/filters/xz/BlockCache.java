package dev.jnbdkit.filters.xz;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * One connection's cache of uncompressed xz blocks (nbdkit's blkcache): up to {@code depth}
 * blocks, least recently used first out. Slots are native memory of the largest block's size
 * (outside the Java heap, which is small), allocated on first use and reused, all freed when the
 * connection closes. Not thread-safe (the filter serializes a connection's requests).
 */
final class BlockCache implements AutoCloseable {
    /** A cached block: its number and its uncompressed bytes. */
    static final class Slot {
        final MemorySegment memory;
        int block = -1;
        long lastUse;

        Slot(MemorySegment memory) { this.memory = memory; }
    }

    private final Slot[] slots;
    private final long slotSize;
    private final Arena arena = Arena.ofShared();
    private int used;
    private long clock;
    long hits, misses;

    BlockCache(int depth, long slotSize) {
        this.slots = new Slot[depth];
        this.slotSize = Math.max(1, slotSize);
    }

    /** The slot holding {@code block}, or null. */
    Slot find(int block) {
        for (int i = 0; i < used; i++) {
            Slot s = slots[i];
            if (s.block == block) {
                s.lastUse = ++clock;
                hits++;
                return s;
            }
        }
        misses++;
        return null;
    }

    /** A slot for {@code block}, empty: a new one while there is room, else the least recently used. */
    Slot claim(int block) {
        Slot s;
        if (used < slots.length) {
            s = new Slot(arena.allocate(slotSize));
            slots[used++] = s;
        } else {
            s = slots[0];
            for (int i = 1; i < used; i++) if (slots[i].lastUse < s.lastUse) s = slots[i];
        }
        s.block = block;
        s.lastUse = ++clock;
        return s;
    }

    /** Forgets {@code s}'s block (after its decoding failed). */
    void drop(Slot s) {
        s.block = -1;
        s.lastUse = 0;
    }

    @Override
    public void close() { arena.close(); }
}
