package dev.jnbdkit.filters.common;

import dev.jnbdkit.spi.BlockSize;
import dev.jnbdkit.spi.CacheMode;
import dev.jnbdkit.spi.Extent;
import dev.jnbdkit.spi.ExtentSink;
import dev.jnbdkit.spi.FuaMode;
import dev.jnbdkit.spi.IoBuffer;
import dev.jnbdkit.spi.Next;
import dev.jnbdkit.spi.ZeroMode;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A plugin layer in memory for the filters' unit tests: a byte array, all data in block status,
 * and counts of the calls that reach it.
 */
public final class MemoryNext implements Next {
    public final byte[] bytes;
    public final AtomicInteger reads = new AtomicInteger(), writes = new AtomicInteger(),
            flushes = new AtomicInteger(), zeroes = new AtomicInteger();
    private final boolean writable;

    public MemoryNext(byte[] bytes, boolean writable) {
        this.bytes = bytes;
        this.writable = writable;
    }

    @Override public String exportName() { return ""; }
    @Override public long getSize() { return bytes.length; }
    @Override public String exportDescription() { return null; }
    @Override public BlockSize blockSize() { return null; }
    @Override public boolean isRotational() { return false; }
    @Override public boolean canWrite() { return writable; }
    @Override public boolean canFlush() { return true; }
    @Override public boolean canTrim() { return writable; }
    @Override public ZeroMode canZero() { return writable ? ZeroMode.NATIVE : ZeroMode.NONE; }
    @Override public boolean canFastZero() { return false; }
    @Override public boolean canExtents() { return true; }
    @Override public FuaMode canFua() { return writable ? FuaMode.NATIVE : FuaMode.NONE; }
    @Override public boolean canMultiConn() { return true; }
    @Override public CacheMode canCache() { return CacheMode.NONE; }

    private void check(long count, long offset) {
        if (offset < 0 || count < 0 || offset + count > bytes.length) {
            throw new AssertionError("out of range: offset=" + offset + " count=" + count);
        }
    }

    @Override
    public synchronized void pread(IoBuffer buf, long offset, int flags) {
        check(buf.length(), offset);
        reads.incrementAndGet();
        MemorySegment.copy(bytes, (int) offset, buf.segment(), ValueLayout.JAVA_BYTE, 0, (int) buf.length());
    }

    @Override
    public synchronized void pwrite(IoBuffer buf, long offset, int flags) {
        if (!writable) throw new AssertionError("pwrite on a read-only layer");
        check(buf.length(), offset);
        writes.incrementAndGet();
        MemorySegment.copy(buf.segment(), ValueLayout.JAVA_BYTE, 0, bytes, (int) offset, (int) buf.length());
    }

    @Override public void flush(int flags) { flushes.incrementAndGet(); }

    @Override
    public synchronized void trim(long count, long offset, int flags) {
        if (!writable) throw new AssertionError("trim on a read-only layer");
        check(count, offset);
    }

    @Override
    public synchronized void zero(long count, long offset, int flags) {
        if (!writable) throw new AssertionError("zero on a read-only layer");
        check(count, offset);
        zeroes.incrementAndGet();
        java.util.Arrays.fill(bytes, (int) offset, (int) (offset + count), (byte) 0);
    }

    @Override
    public void extents(long count, long offset, int flags, ExtentSink extents) {
        check(count, offset);
        extents.add(offset, count, Extent.DATA);
    }

    @Override public void cache(long count, long offset, int flags) { throw new AssertionError("cache not advertised"); }
    @Override public void prepareContext() { }
    @Override public void finalizeContext() { }
    @Override public void closeContext() { }

    /** A buffer holding {@code data}. */
    public static IoBuffer buffer(byte[] data) {
        IoBuffer b = IoBuffer.allocate(data.length);
        MemorySegment.copy(data, 0, b.segment(), ValueLayout.JAVA_BYTE, 0, data.length);
        return b;
    }

    public static byte[] bytesOf(IoBuffer b) { return b.segment().toArray(ValueLayout.JAVA_BYTE); }
}
