package dev.jnbdkit.backend;

import dev.jnbdkit.log.Log;
import dev.jnbdkit.protocol.Nbd;
import dev.jnbdkit.spi.BlockSize;
import dev.jnbdkit.spi.CacheMode;
import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.Flags;
import dev.jnbdkit.spi.FuaMode;
import dev.jnbdkit.spi.Handle;
import dev.jnbdkit.spi.IoBuffer;
import dev.jnbdkit.spi.PluginException;

import java.lang.foreign.MemorySegment;

/**
 * One connection's open export: the plugin's answers, asked once at open, and the data
 * operations with nbdkit's emulations applied once, here: FUA through flush, zeroing through
 * pwrite, cache through pread, "all data" extents. Every failure is an {@link NbdError} carrying
 * the mapped NBD error.
 *
 * <p>Callers validate requests (bounds, flags, read-only) before calling; see the server's
 * request validation. Methods are safe to call concurrently if the plugin's thread model allows.
 */
public final class ExportSession implements AutoCloseable {
    /** Chunk used when the backend writes zeros or reads for cache emulation. */
    private static final int EMULATION_CHUNK = 1 << 20;

    private final Backend backend;
    private final Handle handle;
    private final long size;
    private final boolean canWrite;
    private final boolean canFlush;
    private final FuaMode fua;
    private final boolean canTrim;
    private final boolean canZero;
    private final boolean canFastZero;
    private final boolean canExtents;
    private final CacheMode cache;
    private final boolean canMultiConn;
    private final boolean rotational;
    private final BlockSize blockSize;
    private final String description;
    /** The handle overrides {@link Handle#preadViews}: reads try it first. */
    private final boolean offersViews;
    /** The handle overrides {@link Handle#pwriteViews}: writes try it first. */
    private final boolean offersWriteViews;
    private volatile boolean closed;

    ExportSession(Backend backend, Handle handle) {
        this.backend = backend;
        this.handle = handle;
        this.size = backend.call("get_size", handle::getSize);
        if (size < 0) throw new NbdError(Nbd.EIO, "get_size: plugin returned a negative size " + size);
        this.canWrite = !backend.readonly() && backend.call("can_write", handle::canWrite);
        this.canFlush = backend.call("can_flush", handle::canFlush);
        // EMULATE means the flush callback must work even if can_flush says false (nbdkit-plugin(3)).
        FuaMode f = canWrite ? backend.call("can_fua", handle::canFua) : FuaMode.NONE;
        this.fua = f == null ? FuaMode.NONE : f;
        this.canTrim = canWrite && backend.call("can_trim", handle::canTrim);
        this.canZero = canWrite && backend.call("can_zero", handle::canZero);
        boolean[] views = VIEW_CALLBACKS.get(handle.getClass());
        this.offersViews = views[0];
        this.offersWriteViews = canWrite && views[1];
        this.canFastZero = canWrite && backend.call("can_fast_zero", handle::canFastZero);
        this.canExtents = backend.call("can_extents", handle::canExtents);
        CacheMode c = backend.call("can_cache", handle::canCache);
        this.cache = c == null ? CacheMode.NONE : c;
        this.canMultiConn = backend.call("can_multi_conn", handle::canMultiConn);
        this.rotational = backend.call("is_rotational", handle::isRotational);
        this.blockSize = validBlockSize(backend.call("block_size", handle::blockSize));
        this.description = backend.call("export_description", handle::exportDescription);
    }

    private static BlockSize validBlockSize(BlockSize b) {
        if (b == null || (b.minimum() == 0 && b.preferred() == 0 && b.maximum() == 0)) return null;
        long min = b.minimum(), pref = b.preferred(), max = b.maximum();
        boolean ok = min >= 1 && min <= 65536 && Long.bitCount(min) == 1
                && pref >= 512 && pref <= (32 << 20) && Long.bitCount(pref) == 1 && pref >= min
                && (max == 0xffffffffL || (max >= pref && max % min == 0 && max <= 0xffffffffL));
        if (!ok) {
            throw new NbdError(Nbd.EINVAL, "block_size: invalid constraints minimum=" + min
                    + " preferred=" + pref + " maximum=" + max);
        }
        return b;
    }

    public long size() { return size; }

    public boolean canWrite() { return canWrite; }

    public boolean canFlush() { return canFlush; }

    public boolean canFua() { return fua != FuaMode.NONE; }

    public boolean canTrim() { return canTrim; }

    /** WRITE_ZEROES is always available on a writable export (emulated if need be). */
    public boolean canZero() { return canWrite; }

    public boolean canFastZero() { return canFastZero; }

    public boolean canExtents() { return canExtents; }

    public boolean canCache() { return cache != CacheMode.NONE; }

    public boolean canMultiConn() { return canMultiConn; }

    public boolean isRotational() { return rotational; }

    /** Advertised block-size constraints, or null. */
    public BlockSize blockSize() { return blockSize; }

    public String description() { return description; }


    public void read(IoBuffer buf, long offset, boolean df) {
        backend.run("pread", false, df, () -> handle.pread(buf, offset, 0));
    }

    /**
     * The range as views of the plugin's own memory, to send without a copy, or null when the
     * plugin has none to offer (then {@link #read}). Views that do not add up to the range are a
     * plugin bug, reported to the client as EIO.
     */
    public MemorySegment[] readViews(long count, long offset, boolean df) {
        if (!offersViews) return null;
        MemorySegment[] views = backend.call("pread", false, df, () -> handle.preadViews(count, offset, 0));
        if (views == null) return null;
        checkViews("pread", views, count);
        return views;
    }

    /**
     * Per handle class, once (not per connection): whether it implements {@link Handle#preadViews}
     * and {@link Handle#pwriteViews}.
     */
    private static final ClassValue<boolean[]> VIEW_CALLBACKS = new ClassValue<>() {
        @Override
        protected boolean[] computeValue(Class<?> type) {
            return new boolean[] {overrides(type, "preadViews"), overrides(type, "pwriteViews")};
        }
    };

    /** Whether the handle implements one of the optional (count, offset, flags) view callbacks. */
    private static boolean overrides(Class<?> type, String method) {
        try {
            return type.getMethod(method, long.class, long.class, int.class).getDeclaringClass() != Handle.class;
        } catch (NoSuchMethodException e) {
            return false;
        }
    }

    /**
     * Where a write's data can be read to directly: views of the plugin's own memory, or null
     * when it has none to offer (then {@link #write}). Once the data is in, the caller calls
     * {@link #writtenThroughViews}. Views that do not add up to the range are a plugin bug (EIO).
     */
    public MemorySegment[] writeViews(long count, long offset, boolean fua) {
        if (!offersWriteViews) return null;
        MemorySegment[] views = backend.call("pwrite", () -> handle.pwriteViews(count, offset, fuaFlag(fua)));
        if (views == null) return null;
        checkViews("pwrite", views, count);
        return views;
    }

    /** A write's data is in the views {@link #writeViews} gave: what remains is FUA emulation. */
    public void writtenThroughViews(boolean fua) {
        emulatedFua(fua);
    }

    private static void checkViews(String callback, MemorySegment[] views, long count) {
        long total = 0;
        for (MemorySegment v : views) total += v.byteSize();
        if (total != count) {
            Log.error(callback + ": the plugin's views hold " + total + " bytes, not the " + count + " asked for");
            throw new NbdError(Nbd.EIO, callback + " failed");
        }
    }

    public void write(IoBuffer buf, long offset, boolean fua) {
        backend.run("pwrite", false, false, () -> handle.pwrite(buf, offset, fuaFlag(fua)));
        emulatedFua(fua);
    }

    public void flush() {
        backend.run("flush", false, false, () -> handle.flush(0));
    }

    public void trim(long count, long offset, boolean fua) {
        backend.run("trim", false, false, () -> handle.trim(count, offset, fuaFlag(fua)));
        emulatedFua(fua);
    }

    /**
     * Makes the range read as zeros: through the plugin's zero when it can, else (or when it
     * answers ENOTSUP) by writing zeros; a fast-zero request is failed with ENOTSUP instead of
     * being made slow.
     */
    public void zero(long count, long offset, boolean mayTrim, boolean fua, boolean fast) {
        if (canZero) {
            int flags = fuaFlag(fua) | (mayTrim ? Flags.MAY_TRIM : 0) | (fast ? Flags.FAST_ZERO : 0);
            boolean done = backend.call("zero", fast, false, () -> {
                try {
                    handle.zero(count, offset, flags);
                    return true;
                } catch (PluginException e) {
                    if (e.errno() != Errno.ENOTSUP || fast) throw e;
                    return false; // the plugin declines: write zeros instead
                }
            });
            if (done) {
                emulatedFua(fua);
                return;
            }
            Log.debug("zero: plugin answered ENOTSUP, writing zeros instead");
        }
        if (fast) throw new NbdError(Nbd.ENOTSUP, "fast zero is not supported by the plugin");
        writeZeros(count, offset);
        emulatedFua(fua);
    }

    private void writeZeros(long count, long offset) {
        IoBuffer zeros = BufferPool.shared().allocateZeroed(Math.min(count, EMULATION_CHUNK));
        inChunks(zeros, count, offset, "pwrite", (piece, at) -> handle.pwrite(piece, at, 0));
    }

    public void cache(long count, long offset) {
        if (cache == CacheMode.NATIVE) {
            backend.run("cache", false, false, () -> handle.cache(count, offset, 0));
            return;
        }
        IoBuffer scratch = BufferPool.shared().allocate(Math.min(count, EMULATION_CHUNK));
        inChunks(scratch, count, offset, "pread", (piece, at) -> handle.pread(piece, at, 0));
    }

    private interface ChunkCall {
        void run(IoBuffer piece, long offset);
    }

    /** Emulation over a large range: one plugin call per buffer-sized piece; releases {@code buf}. */
    private void inChunks(IoBuffer buf, long count, long offset, String callback, ChunkCall call) {
        try {
            for (long done = 0; done < count; ) {
                long n = Math.min(count - done, buf.length());
                IoBuffer piece = n == buf.length() ? buf : slice(buf, n);
                long at = offset + done;
                backend.run(callback, false, false, () -> call.run(piece, at));
                done += n;
            }
        } finally {
            buf.release();
        }
    }

    /** The extents covering [offset, offset+count), clipped and merged. */
    public ExtentList extents(long count, long offset, boolean reqOne) {
        ExtentList list = new ExtentList(offset, count, reqOne);
        if (!canExtents) {
            list.add(offset, count, dev.jnbdkit.spi.Extent.DATA);
            return list;
        }
        backend.run("extents", false, false, () -> {
            handle.extents(count, offset, reqOne ? Flags.REQ_ONE : 0, list);
            list.checkNotEmpty();
        });
        return list;
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        try {
            backend.run("close", false, false, handle::close);
        } catch (NbdError e) {
            // logged by the backend; the connection is ending anyway
        }
    }

    private int fuaFlag(boolean fua) {
        return fua && this.fua == FuaMode.NATIVE ? Flags.FUA : 0;
    }

    private void emulatedFua(boolean fua) {
        if (fua && this.fua == FuaMode.EMULATE) backend.run("flush", false, false, () -> handle.flush(0));
    }

    /** A view of the first {@code n} bytes of {@code whole}, sharing its references. */
    private static IoBuffer slice(IoBuffer whole, long n) {
        var seg = whole.segment().asSlice(0, n);
        return new IoBuffer() {
            @Override public java.lang.foreign.MemorySegment segment() { return seg; }
            @Override public void retain() { whole.retain(); }
            @Override public void release() { whole.release(); }
        };
    }
}
