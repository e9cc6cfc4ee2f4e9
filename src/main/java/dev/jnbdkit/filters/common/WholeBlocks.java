package dev.jnbdkit.filters.common;

import dev.jnbdkit.spi.IoBuffer;
import dev.jnbdkit.spi.Next;

import java.lang.foreign.MemorySegment;
import java.util.function.Consumer;

/**
 * Reads from the layer below in whole blocks, for the filters that keep blocks of it (cow's
 * overlay, the cache): the layer below sees only block-aligned requests (its own block-size
 * constraints hold, and the blocks can be kept whole), and the request gets the part it asked for.
 */
public final class WholeBlocks {
    private WholeBlocks() {}

    /**
     * Fills [from, to) of a request that starts at disk offset {@code offset} by reading
     * [wholeFrom, wholeTo), the whole blocks around it. Straight into the request when the range
     * already is those blocks, else through scratch memory. {@code keep}, when not null, gets the
     * blocks' data (starting at {@code wholeFrom}) before the memory is given back.
     */
    public static void read(Next next, IoBuffer buf, long offset, long from, long to,
                            long wholeFrom, long wholeTo, Consumer<MemorySegment> keep) {
        if (from == wholeFrom && to == wholeTo) {
            IoBuffer part = buf.slice(from - offset, to - from);
            next.pread(part, from, 0);
            if (keep != null) keep.accept(part.segment());
            return;
        }
        IoBuffer whole = Scratch.take(wholeTo - wholeFrom);
        try {
            next.pread(whole, wholeFrom, 0);
            MemorySegment.copy(whole.segment(), from - wholeFrom, buf.segment(), from - offset, to - from);
            if (keep != null) keep.accept(whole.segment());
        } finally {
            whole.release();
        }
    }
}
