package dev.jnbdkit.plugins.memory;

import dev.jnbdkit.spi.ExtentSink;

import java.lang.foreign.MemorySegment;

/**
 * Where the memory plugin keeps the disk: one per server, shared by all connections. Public so
 * that other RAM-backed plugins (data) reuse it: {@link Allocators} makes one.
 */
public interface Store {
    /** Bytes per chunk of the sparse allocator: the granularity of its holes. */
    long SPARSE_CHUNK = SparseStore.CHUNK;

    /** Fill {@code dst} with the bytes at {@code offset}. */
    void read(MemorySegment dst, long offset);

    /** The {@code length} bytes at {@code offset} as views of the store's memory, in order. */
    MemorySegment[] views(long offset, long length);

    /** Writable views of the memory for {@code length} bytes at {@code offset}, allocating it where needed. */
    MemorySegment[] writableViews(long offset, long length);

    /** Store {@code src} at {@code offset}. */
    void write(MemorySegment src, long offset);

    /** Make {@code [offset, offset+length)} read as zeros, freeing memory where it can. */
    void zero(long offset, long length);

    /** Report extents from {@code offset}; at most one if {@code reqOne}. */
    void extents(long offset, long length, boolean reqOne, ExtentSink sink);

    /** Whether {@link #writableViews} works (the zstd allocator's pages are compressed: no). */
    default boolean offersWriteViews() { return true; }

    /** Bytes of memory currently holding the disk (for debugging and tests). */
    long allocatedBytes();
}
