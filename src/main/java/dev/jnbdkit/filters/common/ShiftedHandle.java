package dev.jnbdkit.filters.common;

import dev.jnbdkit.spi.ExtentSink;
import dev.jnbdkit.spi.FilterHandle;
import dev.jnbdkit.spi.IoBuffer;
import dev.jnbdkit.spi.Next;

/**
 * A connection of a filter that serves a window of the layer below starting at {@link #offset()}
 * (offset, partition, tar): every request moves by the window's start, and extents come back
 * moved the other way. Subclasses give the window's size and anything else they change.
 */
public abstract class ShiftedHandle implements FilterHandle {
    /** Where the window starts in the layer below. */
    protected abstract long offset();

    @Override public void pread(Next next, IoBuffer buf, long at, int flags) { next.pread(buf, at + offset(), flags); }

    @Override public void pwrite(Next next, IoBuffer buf, long at, int flags) { next.pwrite(buf, at + offset(), flags); }

    @Override public void trim(Next next, long count, long at, int flags) { next.trim(count, at + offset(), flags); }

    @Override public void zero(Next next, long count, long at, int flags) { next.zero(count, at + offset(), flags); }

    @Override public void cache(Next next, long count, long at, int flags) { next.cache(count, at + offset(), flags); }

    @Override
    public void extents(Next next, long count, long at, int flags, ExtentSink extents) {
        long start = offset();
        next.extents(count, at + start, flags, (o, l, t) -> extents.add(o - start, l, t));
    }
}
