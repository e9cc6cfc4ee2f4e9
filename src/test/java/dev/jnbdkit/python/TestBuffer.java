package dev.jnbdkit.python;

import dev.jnbdkit.spi.IoBuffer;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

/** An IoBuffer over its own native memory that counts references (starts at 1: the "server's"). */
final class TestBuffer implements IoBuffer {
    private final MemorySegment seg;
    final AtomicInteger refs = new AtomicInteger(1);
    final AtomicInteger retains = new AtomicInteger();
    final AtomicInteger releases = new AtomicInteger();

    TestBuffer(int size) {
        seg = Arena.ofAuto().allocate(size, 4096);
    }

    static TestBuffer of(String text) {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        TestBuffer t = new TestBuffer(b.length);
        t.seg.copyFrom(MemorySegment.ofArray(b));
        return t;
    }

    @Override public MemorySegment segment() { return seg; }

    @Override public void retain() {
        retains.incrementAndGet();
        refs.incrementAndGet();
    }

    @Override public void release() {
        releases.incrementAndGet();
        if (refs.decrementAndGet() < 0) throw new IllegalStateException("released too often");
    }

    byte[] bytes() { return seg.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE); }

    String text() { return new String(bytes(), StandardCharsets.UTF_8); }

    void fill(byte b) { seg.fill(b); }
}
