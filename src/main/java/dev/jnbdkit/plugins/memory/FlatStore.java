package dev.jnbdkit.plugins.memory;

import dev.jnbdkit.spi.Extent;
import dev.jnbdkit.spi.ExtentSink;

import java.lang.foreign.MemorySegment;

/**
 * {@code allocator=malloc}: the whole disk in one block of native memory, allocated up front.
 * No sparseness and no table lookups; trim and zero write zeros; extents report all data.
 * Concurrent requests copy into or out of the block without locks (see {@link SparseStore} for
 * what that means for overlapping requests).
 */
final class FlatStore implements Store {
    private final MemorySegment mem;

    FlatStore(long size) {
        this.mem = NativeAlloc.allocateZeroed(size);
    }

    /** The whole block (for mlock). */
    MemorySegment block() { return mem; }

    @Override public void read(MemorySegment dst, long offset) {
        MemorySegment.copy(mem, offset, dst, 0, dst.byteSize());
    }

    @Override public MemorySegment[] views(long offset, long length) {
        return new MemorySegment[] {mem.asSlice(offset, length).asReadOnly()};
    }

    @Override public MemorySegment[] writableViews(long offset, long length) {
        return new MemorySegment[] {mem.asSlice(offset, length)};
    }

    @Override public void write(MemorySegment src, long offset) {
        MemorySegment.copy(src, 0, mem, offset, src.byteSize());
    }

    @Override public void zero(long offset, long length) {
        mem.asSlice(offset, length).fill((byte) 0);
    }

    @Override public void extents(long offset, long length, boolean reqOne, ExtentSink sink) {
        long size = mem.byteSize();
        if (offset < size) sink.add(offset, Math.min(length, size - offset), Extent.DATA);
    }

    @Override public long allocatedBytes() { return mem.byteSize(); }
}
