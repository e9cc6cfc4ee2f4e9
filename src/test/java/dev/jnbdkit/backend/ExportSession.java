package dev.jnbdkit.backend;

import dev.jnbdkit.server.ErrnoMapping;
import dev.jnbdkit.server.NbdError;
import dev.jnbdkit.spi.CacheMode;
import dev.jnbdkit.spi.Flags;
import dev.jnbdkit.spi.FuaMode;
import dev.jnbdkit.spi.IoBuffer;
import dev.jnbdkit.spi.PluginException;
import dev.jnbdkit.spi.ZeroMode;

import java.lang.foreign.MemorySegment;
import java.util.function.Supplier;

/**
 * The top of a stack as the server drives it, with the server's request shape (booleans for the
 * NBD flags, NBD error codes for failures): what {@link ExportSessionTest} checks the layers
 * through. Opening asks every answer the handshake asks, as the server does.
 */
final class ExportSession implements AutoCloseable {
    private final Stack stack;
    private final Context c;

    private ExportSession(Stack stack, Context c) {
        this.stack = stack;
        this.c = c;
    }

    static ExportSession open(Stack stack) {
        return call(false, false, () -> {
            Context c = stack.open("", false);
            try {
                c.getSize();
                c.canWrite(); c.canFlush(); c.canFua(); c.canTrim(); c.canZero(); c.canFastZero();
                c.canExtents(); c.canCache(); c.canMultiConn(); c.isRotational();
                c.blockSize(); c.exportDescription();
            } catch (RuntimeException e) {
                stack.close(c);
                throw e;
            }
            return new ExportSession(stack, c);
        });
    }

    private static <T> T call(boolean fastZero, boolean df, Supplier<T> body) {
        try {
            return body.get();
        } catch (PluginException e) {
            throw new NbdError(ErrnoMapping.toNbd(e.errno(), fastZero, df), e.getMessage());
        }
    }

    private static void run(boolean fastZero, boolean df, Runnable body) {
        call(fastZero, df, () -> { body.run(); return null; });
    }

    boolean canWrite() { return c.canWrite(); }

    boolean canFlush() { return c.canFlush(); }

    boolean canFua() { return c.canFua() != FuaMode.NONE; }

    boolean canTrim() { return c.canTrim(); }

    boolean canZero() { return c.canZero() != ZeroMode.NONE; }

    boolean canFastZero() { return c.canFastZero(); }

    boolean canExtents() { return c.canExtents(); }

    boolean canCache() { return c.canCache() != CacheMode.NONE; }

    private static int fua(boolean fua) { return fua ? Flags.FUA : 0; }

    void read(IoBuffer buf, long offset, boolean df) { run(false, df, () -> c.pread(buf, offset, 0)); }

    void write(IoBuffer buf, long offset, boolean fua) { run(false, false, () -> c.pwrite(buf, offset, fua(fua))); }

    void flush() { run(false, false, () -> c.flush(0)); }

    void trim(long count, long offset, boolean fua) { run(false, false, () -> c.trim(count, offset, fua(fua))); }

    void zero(long count, long offset, boolean mayTrim, boolean fua, boolean fast) {
        int flags = fua(fua) | (mayTrim ? Flags.MAY_TRIM : 0) | (fast ? Flags.FAST_ZERO : 0);
        run(fast, false, () -> c.zero(count, offset, flags));
    }

    void cache(long count, long offset) { run(false, false, () -> c.cache(count, offset, 0)); }

    ExtentList extents(long count, long offset, boolean reqOne) {
        return call(false, false, () -> {
            ExtentList l = new ExtentList(offset, count, reqOne);
            c.extents(count, offset, reqOne ? Flags.REQ_ONE : 0, l);
            l.checkNotEmpty();
            return l;
        });
    }

    MemorySegment[] readViews(long count, long offset, boolean df) {
        return call(false, df, () -> c.readViews(count, offset, 0));
    }

    MemorySegment[] writeViews(long count, long offset, boolean fua) {
        return call(false, false, () -> c.writeViews(count, offset, fua(fua)));
    }

    void writtenThroughViews(boolean fua) { run(false, false, () -> c.writtenThroughViews(fua(fua))); }

    @Override
    public void close() { stack.close(c); }
}
