package dev.jnbdkit.filters.ext2;

import dev.jnbdkit.spi.IoBuffer;
import dev.jnbdkit.spi.Next;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;

/** The next layer of the stack as the filesystem's {@link BlockDevice}. */
record NextDevice(Next next) implements BlockDevice {
    @Override public long size() { return next.getSize(); }

    @Override
    public void read(long offset, ByteBuffer dst) {
        IoBuffer b = IoBuffer.allocate(dst.remaining());
        next.pread(b, offset, 0);
        MemorySegment.ofBuffer(dst).copyFrom(b.segment());
    }

    @Override
    public void write(long offset, ByteBuffer src) {
        IoBuffer b = IoBuffer.allocate(src.remaining());
        b.segment().copyFrom(MemorySegment.ofBuffer(src));
        next.pwrite(b, offset, 0);
    }
}
