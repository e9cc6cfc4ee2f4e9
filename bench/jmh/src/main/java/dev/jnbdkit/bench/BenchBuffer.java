package dev.jnbdkit.bench;

import dev.jnbdkit.spi.IoBuffer;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicInteger;

/** A request buffer as the server hands it to a plugin: page-aligned native memory, counted. */
final class BenchBuffer implements IoBuffer {
    private final MemorySegment seg;
    private final AtomicInteger refs = new AtomicInteger(1);

    BenchBuffer(int size) {
        seg = Arena.ofAuto().allocate(size, 4096);
        seg.fill((byte) 0x5a);
    }

    @Override public MemorySegment segment() { return seg; }
    @Override public void retain() { refs.incrementAndGet(); }
    @Override public void release() { refs.decrementAndGet(); }
}
