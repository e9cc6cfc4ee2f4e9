package dev.jnbdkit.backend;

import dev.jnbdkit.log.Log;
import dev.jnbdkit.spi.BlockSize;
import dev.jnbdkit.spi.CacheMode;
import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.Extent;
import dev.jnbdkit.spi.ExtentSink;
import dev.jnbdkit.spi.Flags;
import dev.jnbdkit.spi.FuaMode;
import dev.jnbdkit.spi.IoBuffer;
import dev.jnbdkit.spi.Next;
import dev.jnbdkit.spi.PluginException;
import dev.jnbdkit.spi.ZeroMode;

import java.lang.foreign.MemorySegment;

/**
 * One layer of one connection (nbdkit's server/backend.c): what every layer does, written once.
 * It asks each {@code can_*}, the size and the block size once and caches them; it checks each
 * call against what the layer advertised; it emulates what a layer leaves to the server (zeroing
 * through pwrite when the layer says {@link ZeroMode#EMULATE} or declines with ENOTSUP, cache
 * through pread when it says {@link CacheMode#EMULATE}, "all data" extents when it has none);
 * and with {@code -v} it traces every call, named by layer.
 *
 * <p>A failure leaving the layer is logged here once (its message, or the stray exception) and
 * travels on as a {@link ReportedFailure} with its errno, which outer layers pass through
 * without logging it again. What the client hears is decided at the top, by the server.
 *
 * <p>This is the {@link Next} a filter receives, so a filter's calls into the layer below get the
 * same caching, checks and emulations as the server's calls into the top layer.
 */
public final class Context implements Next {
    /** Largest piece written or read at once by the zero and cache emulations. */
    static final int EMULATION_CHUNK = 1 << 20;

    private enum State { OPEN, PREPARED, FINALIZED, CLOSED }

    private final String layer;
    private final LayerHandle h;
    private final boolean readonly;
    private final String exportName;
    private volatile State state = State.OPEN;

    // Cached answers; written once (racing writers compute the same value).
    private long size = -1;
    private byte canWrite = -1, canFlush = -1, canTrim = -1, canFastZero = -1, canExtents = -1,
            canMultiConn = -1, rotational = -1, readViews = -1, writeViews = -1;
    private ZeroMode canZero;
    private FuaMode canFua;
    private CacheMode canCache;
    private boolean blockSizeKnown, descriptionKnown;
    private BlockSize blockSize;
    private String description;

    Context(String layer, LayerHandle h, boolean readonly, String exportName) {
        this.layer = layer;
        this.h = h;
        this.readonly = readonly;
        this.exportName = exportName;
    }

    /** The layer's name (plugin or filter), as the log shows it. */
    public String layerName() { return layer; }

    public boolean readonly() { return readonly; }

    @Override public String exportName() { return exportName; }

    // ---------------------------------------------------------------------------------------------
    // Lifecycle: prepare inner first, finalize and close outer first.

    /** Prepares the layers below, then this one (nbdkit: prepare runs from the plugin outwards). */
    @Override
    public void prepareContext() {
        if (state != State.OPEN) return;
        Context next = h.next();
        if (next != null) next.prepareContext();
        trace("prepare readonly=" + bit(readonly));
        try {
            h.prepare(readonly);
        } catch (RuntimeException e) {
            throw failure("prepare", e);
        }
        state = State.PREPARED;
    }

    /** Finalizes this layer, then the layers below; a layer that never prepared is skipped. */
    @Override
    public void finalizeContext() {
        if (state != State.PREPARED) return;
        state = State.FINALIZED;
        RuntimeException first = null;
        trace("finalize");
        try {
            h.finalizeConnection();
        } catch (RuntimeException e) {
            first = failure("finalize", e);
        }
        Context next = h.next();
        try {
            if (next != null) next.finalizeContext();
        } catch (RuntimeException e) {
            if (first == null) first = e;
        }
        if (first != null) throw first;
    }

    /** Closes this layer, then the layers below. Never throws: a close failure is only logged. */
    @Override
    public void closeContext() {
        if (state == State.CLOSED) return;
        state = State.CLOSED;
        try {
            h.close();
        } catch (RuntimeException e) {
            failure("close", e);
        }
        Context next = h.next();
        if (next != null) next.closeContext();
    }

    // ---------------------------------------------------------------------------------------------
    // Answers, asked once

    @Override
    public long getSize() {
        long s = size;
        if (s >= 0) return s;
        trace("get_size");
        try {
            s = h.getSize();
        } catch (RuntimeException e) {
            throw failure("get_size", e);
        }
        if (s < 0) throw failed("get_size", Errno.EIO, "get_size: " + layer + " returned a negative size " + s);
        size = s;
        return s;
    }

    @Override
    public String exportDescription() {
        if (!descriptionKnown) {
            trace("export_description");
            try {
                description = h.exportDescription();
            } catch (RuntimeException e) {
                throw failure("export_description", e);
            }
            descriptionKnown = true;
        }
        return description;
    }

    @Override
    public BlockSize blockSize() {
        if (!blockSizeKnown) {
            trace("block_size");
            BlockSize b;
            try {
                b = h.blockSize();
            } catch (RuntimeException e) {
                throw failure("block_size", e);
            }
            blockSize = validBlockSize(b);
            blockSizeKnown = true;
        }
        return blockSize;
    }

    private BlockSize validBlockSize(BlockSize b) {
        if (b == null || (b.minimum() == 0 && b.preferred() == 0 && b.maximum() == 0)) return null;
        long min = b.minimum(), pref = b.preferred(), max = b.maximum();
        boolean ok = min >= 1 && min <= 65536 && Long.bitCount(min) == 1
                && pref >= 512 && pref <= (32 << 20) && Long.bitCount(pref) == 1 && pref >= min
                && (max == 0xffffffffL || (max >= pref && max % min == 0 && max <= 0xffffffffL));
        if (!ok) {
            throw failed("block_size", Errno.EINVAL, "block_size: invalid constraints minimum=" + min
                    + " preferred=" + pref + " maximum=" + max);
        }
        return b;
    }

    @Override
    public boolean isRotational() {
        if (rotational < 0) rotational = ask("is_rotational", h::isRotational);
        return rotational == 1;
    }

    @Override
    public boolean canWrite() {
        // A read-only context never writes, whatever the layer could do.
        if (canWrite < 0) canWrite = readonly ? 0 : ask("can_write", h::canWrite);
        return canWrite == 1;
    }

    @Override
    public boolean canFlush() {
        if (canFlush < 0) canFlush = ask("can_flush", h::canFlush);
        return canFlush == 1;
    }

    @Override
    public boolean canTrim() {
        if (canTrim < 0) canTrim = canWrite() ? ask("can_trim", h::canTrim) : 0;
        return canTrim == 1;
    }

    @Override
    public ZeroMode canZero() {
        ZeroMode z = canZero;
        if (z == null) {
            if (!canWrite()) {
                z = ZeroMode.NONE;
            } else {
                trace("can_zero");
                try {
                    z = h.canZero();
                } catch (RuntimeException e) {
                    throw failure("can_zero", e);
                }
                if (z == null) z = ZeroMode.NONE;
            }
            canZero = z;
        }
        return z;
    }

    @Override
    public boolean canFastZero() {
        if (canFastZero < 0) canFastZero = canZero() != ZeroMode.NONE ? ask("can_fast_zero", h::canFastZero) : 0;
        return canFastZero == 1;
    }

    @Override
    public boolean canExtents() {
        if (canExtents < 0) canExtents = ask("can_extents", h::canExtents);
        return canExtents == 1;
    }

    @Override
    public FuaMode canFua() {
        FuaMode f = canFua;
        if (f == null) {
            if (!canWrite()) {
                f = FuaMode.NONE;
            } else {
                trace("can_fua");
                try {
                    f = h.canFua();
                } catch (RuntimeException e) {
                    throw failure("can_fua", e);
                }
                if (f == null) f = FuaMode.NONE;
            }
            canFua = f;
        }
        return f;
    }

    @Override
    public boolean canMultiConn() {
        if (canMultiConn < 0) canMultiConn = ask("can_multi_conn", h::canMultiConn);
        return canMultiConn == 1;
    }

    @Override
    public CacheMode canCache() {
        CacheMode c = canCache;
        if (c == null) {
            trace("can_cache");
            try {
                c = h.canCache();
            } catch (RuntimeException e) {
                throw failure("can_cache", e);
            }
            if (c == null) c = CacheMode.NONE;
            canCache = c;
        }
        return c;
    }

    private interface Question {
        boolean ask();
    }

    private byte ask(String callback, Question q) {
        trace(callback);
        try {
            return (byte) (q.ask() ? 1 : 0);
        } catch (RuntimeException e) {
            throw failure(callback, e);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Data

    @Override
    public void pread(IoBuffer buf, long offset, int flags) {
        long count = buf.length();
        checkRange("pread", count, offset);
        if (Log.verbose()) trace("pread count=" + count + " offset=" + offset);
        try {
            h.pread(buf, offset, flags);
        } catch (RuntimeException e) {
            throw failure("pread", e);
        }
    }

    @Override
    public void pwrite(IoBuffer buf, long offset, int flags) {
        long count = buf.length();
        checkWrite("pwrite", count, offset, flags);
        if (Log.verbose()) trace("pwrite count=" + count + " offset=" + offset + " fua=" + bit(flags, Flags.FUA));
        try {
            h.pwrite(buf, offset, flags);
        } catch (RuntimeException e) {
            throw failure("pwrite", e);
        }
    }

    @Override
    public void flush(int flags) {
        if (!canFlush()) throw misuse("flush", "flush is not supported by this layer");
        trace("flush");
        try {
            h.flush(flags);
        } catch (RuntimeException e) {
            throw failure("flush", e);
        }
    }

    @Override
    public void trim(long count, long offset, int flags) {
        checkWrite("trim", count, offset, flags);
        if (!canTrim()) throw misuse("trim", "trim is not supported by this layer");
        if (Log.verbose()) trace("trim count=" + count + " offset=" + offset + " fua=" + bit(flags, Flags.FUA));
        try {
            h.trim(count, offset, flags);
        } catch (RuntimeException e) {
            throw failure("trim", e);
        }
    }

    /**
     * Makes the range read as zeros: through the layer's zero when it is native, else (or when it
     * declines with ENOTSUP) by writing zeros through its pwrite, FUA on the last piece only; a
     * fast-zero request is failed with ENOTSUP instead of being made slow.
     */
    @Override
    public void zero(long count, long offset, int flags) {
        checkWrite("zero", count, offset, flags);
        ZeroMode mode = canZero();
        if (mode == ZeroMode.NONE) throw misuse("zero", "zero is not supported by this layer");
        boolean fast = Flags.has(flags, Flags.FAST_ZERO);
        if (fast && !canFastZero()) throw misuse("zero", "fast zero was not advertised by this layer");
        if (Log.verbose()) {
            trace("zero count=" + count + " offset=" + offset + " may_trim=" + bit(flags, Flags.MAY_TRIM)
                    + " fua=" + bit(flags, Flags.FUA) + " fast=" + bit(fast));
        }
        if (mode == ZeroMode.NATIVE) {
            try {
                h.zero(count, offset, flags);
                return;
            } catch (PluginException e) {
                if (e.errno() != Errno.ENOTSUP || fast) throw failure("zero", e);
                Log.debug(layer + ": zero answered ENOTSUP, writing zeros instead");
            } catch (RuntimeException e) {
                throw failure("zero", e);
            }
        }
        if (fast) throw failed("zero", Errno.ENOTSUP, null);
        writeZeros(count, offset, flags & Flags.FUA);
    }

    private void writeZeros(long count, long offset, int fua) {
        IoBuffer zeros = BufferPool.shared().allocateZeroed(Math.min(count, EMULATION_CHUNK));
        try {
            for (long done = 0; done < count; ) {
                long n = Math.min(count - done, zeros.length());
                boolean last = done + n == count;
                IoBuffer piece = n == zeros.length() ? zeros : zeros.slice(0, n);
                try {
                    h.pwrite(piece, offset + done, last ? fua : 0);
                } catch (RuntimeException e) {
                    throw failure("pwrite", e);
                }
                done += n;
            }
        } finally {
            zeros.release();
        }
    }

    @Override
    public void extents(long count, long offset, int flags, ExtentSink extents) {
        checkRange("extents", count, offset);
        if (!canExtents()) {
            // As nbdkit: a layer without extents has data everywhere.
            extents.add(offset, count, Extent.DATA);
            return;
        }
        if (Log.verbose()) trace("extents count=" + count + " offset=" + offset + " req_one=" + bit(flags, Flags.REQ_ONE));
        try {
            h.extents(count, offset, flags, extents);
        } catch (RuntimeException e) {
            throw failure("extents", e);
        }
    }

    @Override
    public void cache(long count, long offset, int flags) {
        checkRange("cache", count, offset);
        CacheMode mode = canCache();
        if (mode == CacheMode.NONE) throw misuse("cache", "cache is not supported by this layer");
        if (Log.verbose()) trace("cache count=" + count + " offset=" + offset);
        if (mode == CacheMode.NATIVE) {
            try {
                h.cache(count, offset, flags);
            } catch (RuntimeException e) {
                throw failure("cache", e);
            }
            return;
        }
        // Emulated: read the range and throw the data away, so the layers below have seen it.
        IoBuffer scratch = BufferPool.shared().allocate(Math.min(count, EMULATION_CHUNK));
        try {
            for (long done = 0; done < count; ) {
                long n = Math.min(count - done, scratch.length());
                IoBuffer piece = n == scratch.length() ? scratch : scratch.slice(0, n);
                try {
                    h.pread(piece, offset + done, 0);
                } catch (RuntimeException e) {
                    throw failure("pread", e);
                }
                done += n;
            }
        } finally {
            scratch.release();
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Zero-copy views (a capability of the plugin, offered only when it is the top layer)

    /** True if {@link #readViews} may give views. */
    public boolean offersReadViews() {
        if (readViews < 0) readViews = (byte) (h.offersReadViews() ? 1 : 0);
        return readViews == 1;
    }

    /** True if {@link #writeViews} may give views. */
    public boolean offersWriteViews() {
        if (writeViews < 0) writeViews = (byte) (canWrite() && h.offersWriteViews() ? 1 : 0);
        return writeViews == 1;
    }

    /**
     * The range as views of the layer's own memory, to send without a copy, or null when it has
     * none to offer (then {@link #pread}). Views that do not add up to the range are a bug of the
     * layer (EIO).
     */
    public MemorySegment[] readViews(long count, long offset, int flags) {
        if (!offersReadViews()) return null;
        checkRange("pread", count, offset);
        if (Log.verbose()) trace("pread count=" + count + " offset=" + offset + " (views)");
        MemorySegment[] views;
        try {
            views = h.preadViews(count, offset, flags);
        } catch (RuntimeException e) {
            throw failure("pread", e);
        }
        if (views != null) checkViews("pread", views, count);
        return views;
    }

    /**
     * Where a write's data can be read to directly, or null (then {@link #pwrite}). Once the data
     * is in, the caller calls {@link #writtenThroughViews} with the same flags.
     */
    public MemorySegment[] writeViews(long count, long offset, int flags) {
        if (!offersWriteViews()) return null;
        checkWrite("pwrite", count, offset, flags);
        if (Log.verbose()) trace("pwrite count=" + count + " offset=" + offset + " fua=" + bit(flags, Flags.FUA) + " (views)");
        MemorySegment[] views;
        try {
            views = h.pwriteViews(count, offset, flags);
        } catch (RuntimeException e) {
            throw failure("pwrite", e);
        }
        if (views != null) checkViews("pwrite", views, count);
        return views;
    }

    /** A write's data is in the views {@link #writeViews} gave: what remains is FUA. */
    public void writtenThroughViews(int flags) {
        try {
            h.viewsWritten(flags);
        } catch (RuntimeException e) {
            throw failure("flush", e);
        }
    }

    private void checkViews(String callback, MemorySegment[] views, long count) {
        long total = 0;
        for (MemorySegment v : views) total += v.byteSize();
        if (total != count) {
            throw failed(callback, Errno.EIO, callback + ": the plugin's views hold " + total
                    + " bytes, not the " + count + " asked for");
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Preconditions: the server has checked the client's requests; these catch a filter's mistakes.

    private void checkRange(String callback, long count, long offset) {
        long s = getSize();
        if (count < 0 || offset < 0 || offset > s || count > s - offset) {
            throw misuse(callback, "offset and count are out of range: offset=" + offset + " count=" + count + " size=" + s);
        }
    }

    private void checkWrite(String callback, long count, long offset, int flags) {
        if (!canWrite()) throw misuse(callback, "this layer is read-only");
        if (Flags.has(flags, Flags.FUA) && canFua() == FuaMode.NONE) throw misuse(callback, "FUA was not advertised by this layer");
        checkRange(callback, count, offset);
    }

    private PluginException misuse(String callback, String why) {
        return failed(callback, Errno.EINVAL, callback + ": called on " + layer + " but " + why);
    }

    // ---------------------------------------------------------------------------------------------
    // Failures and tracing

    /** A failure leaving this layer: logged once, then carried on with its errno. */
    private ReportedFailure failure(String callback, RuntimeException e) {
        return ReportedFailure.of(callback, e);
    }

    private static ReportedFailure failed(String callback, int errno, String message) {
        if (message != null) Log.error(message);
        return new ReportedFailure(callback, errno);
    }

    private void trace(String call) {
        if (Log.verbose()) Log.debug(layer + ": " + call);
    }

    private static int bit(boolean b) { return b ? 1 : 0; }

    private static int bit(int flags, int bit) { return Flags.has(flags, bit) ? 1 : 0; }
}
