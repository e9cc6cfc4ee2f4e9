package dev.jnbdkit.filters.blocksize;

import dev.jnbdkit.log.Log;
import dev.jnbdkit.spi.BlockSize;
import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.ExtentSink;
import dev.jnbdkit.spi.Extents;
import dev.jnbdkit.spi.FilterHandle;
import dev.jnbdkit.spi.Flags;
import dev.jnbdkit.spi.IoBuffer;
import dev.jnbdkit.spi.Next;
import dev.jnbdkit.spi.PluginException;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.locks.Lock;

/**
 * One connection through the blocksize filter: every request is cut into an unaligned head, an
 * aligned body in pieces of at most maxdata (data) or maxlen (no data), and an unaligned tail;
 * head and tail go through a block-sized bounce buffer.
 */
final class BlocksizeHandle implements FilterHandle {
    private final BlocksizeFilter filter;
    private final long configuredMin, configuredMaxdata, configuredMaxlen;
    private volatile Limits limits;

    BlocksizeHandle(BlocksizeFilter filter, long minblock, long maxdata, long maxlen) {
        this.filter = filter;
        this.configuredMin = minblock;
        this.configuredMaxdata = maxdata;
        this.configuredMaxlen = maxlen;
    }

    @Override
    public void prepare(Next next, boolean readonly) {
        Limits l = Limits.of(configuredMin, configuredMaxdata, configuredMaxlen, next.blockSize());
        Log.debug("handle values minblock=" + l.minblock() + " maxdata=" + l.maxdata() + " maxlen=" + l.maxlen());
        limits = l;
    }

    private Limits limits(Next next) {
        Limits l = limits;
        if (l == null) {
            l = Limits.of(configuredMin, configuredMaxdata, configuredMaxlen, next.blockSize());
            limits = l;
        }
        return l;
    }

    @Override
    public long getSize(Next next) { return limits(next).down(next.getSize()); }

    /** Clients may send anything: the filter fixes it up. The preferred size is at least a block. */
    @Override
    public BlockSize blockSize(Next next) {
        BlockSize b = next.blockSize();
        long preferred = b != null && b.preferred() != 0 ? b.preferred() : 4096;
        return new BlockSize(1, Math.max(preferred, limits(next).minblock()), BlocksizeFilter.PROTOCOL_MAX);
    }

    // ---- data ------------------------------------------------------------------------------------

    @Override
    public void pread(Next next, IoBuffer buf, long offset, int flags) {
        Limits l = limits(next);
        long count = buf.length(), done = 0;
        if (!l.aligned(offset) || count < l.minblock()) {
            long block = l.down(offset);
            long n = Math.min(count, block + l.minblock() - offset);
            IoBuffer bounce = IoBuffer.allocate(l.minblock());
            next.pread(bounce, block, flags);
            MemorySegment.copy(bounce.segment(), offset - block, buf.segment(), 0, n);
            done = n;
        }
        while (count - done >= l.minblock()) {
            long n = Math.min(l.down(count - done), l.maxdata());
            next.pread(buf.slice(done, n), offset + done, flags);
            done += n;
        }
        if (done < count) {
            IoBuffer bounce = IoBuffer.allocate(l.minblock());
            next.pread(bounce, offset + done, flags);
            MemorySegment.copy(bounce.segment(), 0, buf.segment(), done, count - done);
        }
    }

    @Override
    public void pwrite(Next next, IoBuffer buf, long offset, int flags) {
        Limits l = limits(next);
        long count = buf.length(), done = 0;
        if (!l.aligned(offset) || count < l.minblock()) {
            long n = Math.min(count, l.down(offset) + l.minblock() - offset);
            modify(next, l, offset, n, buf.segment().asSlice(0, n), flags);
            done = n;
        }
        if (count - done >= l.minblock()) {
            Lock shared = filter.writeLock.readLock();
            shared.lock();
            try {
                while (count - done >= l.minblock()) {
                    long n = Math.min(l.down(count - done), l.maxdata());
                    next.pwrite(buf.slice(done, n), offset + done, flags);
                    done += n;
                }
            } finally {
                shared.unlock();
            }
        }
        if (done < count) modify(next, l, offset + done, count - done, buf.segment().asSlice(done, count - done), flags);
    }

    @Override
    public void zero(Next next, long count, long offset, int flags) {
        Limits l = limits(next);
        if (Flags.has(flags, Flags.FAST_ZERO) && (!l.aligned(offset) || !l.aligned(count))) {
            // Read-modify-write is not fast.
            throw new PluginException(Errno.ENOTSUP, "");
        }
        long done = 0;
        int writeFlags = flags & Flags.FUA;
        if (!l.aligned(offset) || count < l.minblock()) {
            long n = Math.min(count, l.down(offset) + l.minblock() - offset);
            modify(next, l, offset, n, null, writeFlags);
            done = n;
        }
        if (count - done >= l.minblock()) {
            Lock shared = filter.writeLock.readLock();
            shared.lock();
            try {
                while (count - done >= l.minblock()) {
                    long n = Math.min(l.down(count - done), l.maxlen());
                    next.zero(n, offset + done, flags);
                    done += n;
                }
            } finally {
                shared.unlock();
            }
        }
        if (done < count) modify(next, l, offset + done, count - done, null, writeFlags);
    }

    /**
     * Read-modify-write of the block holding [offset, offset+n): {@code data} (or zeros when
     * null) replaces those bytes; the rest of the block is written back unchanged.
     */
    private void modify(Next next, Limits l, long offset, long n, MemorySegment data, int flags) {
        long block = l.down(offset);
        IoBuffer bounce = IoBuffer.allocate(l.minblock());
        Lock exclusive = filter.writeLock.writeLock();
        exclusive.lock();
        try {
            next.pread(bounce, block, 0);
            MemorySegment part = bounce.segment().asSlice(offset - block, n);
            if (data == null) part.fill((byte) 0);
            else MemorySegment.copy(data, 0, part, 0, n);
            next.pwrite(bounce, block, flags);
        } finally {
            exclusive.unlock();
        }
    }

    @Override
    public void trim(Next next, long count, long offset, int flags) {
        Limits l = limits(next);
        // The unaligned head and tail are left alone: trim is advisory.
        long start = l.up(offset), end = l.down(offset + count);
        for (long at = start; at < end; ) {
            long n = Math.min(end - at, l.maxlen());
            next.trim(n, at, flags);
            at += n;
        }
        if (start >= end && Flags.has(flags, Flags.FUA) && next.canFlush()) next.flush(0);
    }

    @Override
    public void cache(Next next, long count, long offset, int flags) {
        Limits l = limits(next);
        long start = l.down(offset), end = Math.min(l.up(offset + count), l.down(next.getSize()));
        for (long at = start; at < end; ) {
            long n = Math.min(end - at, l.maxlen());
            next.cache(n, at, flags);
            at += n;
        }
    }

    @Override
    public void extents(Next next, long count, long offset, int flags, ExtentSink extents) {
        Limits l = limits(next);
        long start = l.down(offset);
        long end = Math.min(l.up(offset + count), l.down(next.getSize()));
        long ask = Math.min(end - start, l.maxlen());
        Extents aligned = Extents.aligned(next, ask, start, flags, l.minblock());
        // Clipped to what the client asked (the first extent may start before it).
        for (Extents.Entry e : aligned.entries()) {
            long from = Math.max(e.offset(), offset);
            if (e.end() > from) extents.add(from, e.end() - from, e.type());
        }
    }
}
