package dev.jnbdkit.python;

import dev.jnbdkit.log.Log;
import dev.jnbdkit.spi.BlockSize;
import dev.jnbdkit.spi.CacheMode;
import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.ExtentSink;
import dev.jnbdkit.spi.FuaMode;
import dev.jnbdkit.spi.Handle;
import dev.jnbdkit.spi.IoBuffer;
import dev.jnbdkit.spi.PluginException;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * One connection's Python handle: the object the script's {@code open()} returned, and the
 * script's per-connection callbacks, looked up when the connection opened.
 *
 * <p>Each call takes the GIL on the calling (platform) thread, records the connection's export
 * name for {@code nbdkit.export_name()} and clears the thread's {@code nbdkit.set_error} value.
 */
final class PythonHandle implements Handle {
    private enum Cb {
        close, export_description, get_size, block_size, is_rotational, can_multi_conn, can_write,
        can_flush, can_trim, can_zero, can_fast_zero, can_fua, can_cache, can_extents,
        pread, pwrite, flush, trim, zero, cache, extents
    }

    private static final Cb[] CBS = Cb.values();

    private final PythonPlugin plugin;
    private final PythonRuntime rt;
    private final String exportName;
    private final boolean v1;
    /** Script functions by {@link Cb} ordinal (new references), 0 where absent. */
    private final long[] fns = new long[CBS.length];
    private long h;

    /** GIL held. Takes over the reference to {@code h}. */
    PythonHandle(PythonPlugin plugin, long h, String exportName) {
        this.plugin = plugin;
        this.rt = plugin.runtime();
        this.h = h;
        this.exportName = exportName;
        this.v1 = plugin.apiVersion() == 1;
        for (Cb cb : CBS) fns[cb.ordinal()] = plugin.function(cb.name());
    }

    private boolean has(Cb cb) { return fns[cb.ordinal()] != 0; }

    // ---------------------------------------------------------------------------------------------
    // Entering and leaving Python

    /**
     * A callback's time in Python: the GIL held on this thread, this connection's export name
     * set for {@code nbdkit.export_name()} and the thread's set_error value cleared. Closing it
     * forgets the connection (this thread may serve another next) and drops the GIL.
     */
    private final class InCallback implements AutoCloseable {
        final NbdkitModule.CallState st = NbdkitModule.STATE.get();
        private final Gil.Held gil = Gil.hold(st);

        InCallback() {
            st.exportName = exportName;
            st.errno = 0;
        }

        @Override
        public void close() {
            st.exportName = null;
            gil.close();
        }
    }

    /** Call {@code cb(h, args...)}; steals args. GIL held. Result or 0 with the error pending. */
    private long invoke(Cb cb, long... args) {
        long[] all = new long[args.length + 1];
        Py.Py_IncRef(h);
        all[0] = h;
        System.arraycopy(args, 0, all, 1, args.length);
        return PythonPlugin.call(fns[cb.ordinal()], all);
    }

    private PluginException failure(Cb cb) { return plugin.connectionFailure(cb.name()); }

    private static long pyLong(long v) { return Py.PyLong_FromLongLong(v); }

    private static long pyBool(boolean b) { return Py.PyBool_FromLong(b ? 1 : 0); }

    /** Turns a callback's result (a new reference, GIL held) into a Java value. */
    @FunctionalInterface
    private interface Reader<T> {
        T read(long result);
    }

    /** Makes a callback's Python arguments; runs with the GIL held (no Python object without it). */
    @FunctionalInterface
    private interface Args {
        long[] make();
    }

    private static final Args NO_ARGS = () -> new long[0];

    /**
     * Call {@code cb(h, args...)} under the GIL and read its result: a raised exception becomes
     * the callback's failure; the result's reference is dropped after {@code reader} ran.
     */
    private <T> T call(Cb cb, Reader<T> reader, Args args) {
        try (InCallback in = new InCallback()) {
            long r = invoke(cb, args.make());
            if (r == 0) throw failure(cb);
            try {
                return reader.read(r);
            } finally {
                Py.Py_DecRef(r);
            }
        }
    }

    /** Call a callback that returns a truth value. */
    private boolean boolCall(Cb cb) {
        return call(cb, r -> {
            int t = Py.PyObject_IsTrue(r);
            if (t < 0) throw failure(cb);
            return t != 0;
        }, NO_ARGS);
    }

    /** Call a callback that returns an integer. */
    private long longCall(Cb cb) {
        return call(cb, r -> {
            long v = Py.PyLong_AsLongLong(r);
            if (v == -1 && Py.PyErr_Occurred() != 0) {
                Py.PyErr_Clear();
                throw plugin.badResult(cb.name(), "expected an integer, got " + PythonRuntime.repr(r));
            }
            return v;
        }, NO_ARGS);
    }

    /** Call a callback whose result is ignored; {@code zero} has its ENOTSUP rule. */
    private void voidCall(Cb cb, Args args) {
        try (InCallback in = new InCallback()) {
            NbdkitModule.CallState st = in.st;
            long r = invoke(cb, args.make());
            if (cb == Cb.zero && (st.errno == Errno.ENOTSUP)) {
                // nbdkit: set_error(EOPNOTSUPP) asks for the fallback, whether or not it raised.
                Py.PyErr_Clear();
                Py.Py_DecRef(r);
                Log.debug("python: zero requested falling back to pwrite");
                throw new PluginException(Errno.ENOTSUP, "zero: not supported by the plugin");
            }
            if (r == 0) throw failure(cb);
            Py.Py_DecRef(r);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Handle

    @Override
    public void close() {
        try (InCallback in = new InCallback()) {
            if (has(Cb.close)) {
                long r = invoke(Cb.close);
                if (r == 0) Log.error(plugin.script() + ": close: error: " + rt.fetchError("?"));
                Py.Py_DecRef(r);
            }
            for (int i = 0; i < fns.length; i++) {
                Py.Py_DecRef(fns[i]);
                fns[i] = 0;
            }
            Py.Py_DecRef(h);
            h = 0;
        }
    }

    @Override
    public String exportDescription() {
        if (!has(Cb.export_description)) return null;
        return call(Cb.export_description, r -> {
            if (r == rt.none) return null;
            if (!rt.isStr(r)) {
                throw plugin.badResult("export_description", "expected a string, got " + PythonRuntime.repr(r));
            }
            return PythonRuntime.toJavaString(r);
        }, NO_ARGS);
    }

    @Override
    public long getSize() {
        if (!has(Cb.get_size)) {
            throw new PluginException(Errno.EIO, plugin.script() + ": missing callback: get_size");
        }
        long size = longCall(Cb.get_size);
        if (size < 0) throw plugin.badResult("get_size", "negative size " + size);
        return size;
    }

    @Override
    public BlockSize blockSize() {
        if (!has(Cb.block_size)) return null;
        return call(Cb.block_size, r -> {
            long[] v = ints(r, 3);
            if (v == null) {
                throw plugin.badResult("block_size", "expected a (minimum, preferred, maximum) tuple, got "
                        + PythonRuntime.repr(r));
            }
            return new BlockSize(v[0], v[1], v[2]);
        }, NO_ARGS);
    }

    /** A sequence of exactly {@code n} integers, or null (error cleared). */
    private static long[] ints(long seq, int n) {
        long len = Py.PySequence_Size(seq);
        if (len != n) {
            Py.PyErr_Clear();
            return null;
        }
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
            long item = Py.PySequence_GetItem(seq, i);
            if (item == 0) {
                Py.PyErr_Clear();
                return null;
            }
            long v = Py.PyLong_AsLongLong(item);
            Py.Py_DecRef(item);
            if (v == -1 && Py.PyErr_Occurred() != 0) {
                Py.PyErr_Clear();
                return null;
            }
            out[i] = v;
        }
        return out;
    }

    @Override public boolean isRotational() { return has(Cb.is_rotational) && boolCall(Cb.is_rotational); }

    @Override public boolean canMultiConn() { return has(Cb.can_multi_conn) && boolCall(Cb.can_multi_conn); }

    @Override public boolean canWrite() { return has(Cb.can_write) ? boolCall(Cb.can_write) : has(Cb.pwrite); }

    @Override public boolean canFlush() { return has(Cb.can_flush) ? boolCall(Cb.can_flush) : has(Cb.flush); }

    @Override public boolean canTrim() { return has(Cb.can_trim) ? boolCall(Cb.can_trim) : has(Cb.trim); }

    /** can_zero's answer: asked at most once per connection (canFastZero's default needs it too). */
    private Boolean canZero;

    @Override
    public boolean canZero() {
        if (canZero == null) canZero = has(Cb.can_zero) ? boolCall(Cb.can_zero) : has(Cb.zero);
        return canZero;
    }

    /** Without can_fast_zero: true when zero is unsupported (a fast-zero request then fails fast). */
    @Override public boolean canFastZero() { return has(Cb.can_fast_zero) ? boolCall(Cb.can_fast_zero) : !canZero(); }

    @Override public boolean canExtents() { return has(Cb.can_extents) ? boolCall(Cb.can_extents) : has(Cb.extents); }

    @Override
    public FuaMode canFua() {
        // As nbdkit: without can_fua, FUA is emulated when a flush function exists, whatever
        // can_flush answers (and can_flush is not called a second time).
        if (!has(Cb.can_fua)) return has(Cb.flush) ? FuaMode.EMULATE : FuaMode.NONE;
        return FuaMode.fromValue(modeCall(Cb.can_fua, "FUA"));
    }

    @Override
    public CacheMode canCache() {
        if (!has(Cb.can_cache)) return has(Cb.cache) ? CacheMode.NATIVE : CacheMode.NONE;
        return CacheMode.fromValue(modeCall(Cb.can_cache, "cache"));
    }

    /** can_fua / can_cache: one of the script's NONE (0), EMULATE (1), NATIVE (2) constants. */
    private int modeCall(Cb cb, String what) {
        long v = longCall(cb);
        if (v < 0 || v > 2) throw plugin.badResult(cb.name(), "unknown " + what + " mode " + v);
        return (int) v;
    }

    // ---------------------------------------------------------------------------------------------
    // Data

    @Override
    public void pread(IoBuffer buf, long offset, int flags) {
        if (!has(Cb.pread)) throw new PluginException(Errno.EIO, plugin.script() + ": missing callback: pread");
        MemorySegment seg = buf.segment();
        try (InCallback in = new InCallback()) {
            if (v1) {
                preadV1(seg, offset);
                return;
            }
            long exp = rt.exporter.newExporter(seg, false);
            if (exp == 0) throw failure(Cb.pread);
            long view = Py.PyMemoryView_FromObject(exp);
            if (view == 0) {
                Py.Py_DecRef(exp);
                throw failure(Cb.pread);
            }
            long r;
            PluginException err = null;
            try {
                Py.Py_IncRef(view);
                r = invoke(Cb.pread, view, pyLong(offset), pyLong(flags));
                if (r == 0) err = failure(Cb.pread);   // before finish: the traceback may hold buf
                Py.Py_DecRef(r);
            } finally {
                rt.exporter.finish(exp, view, buf);
            }
            if (err != null) throw err;
        }
    }

    /** API_VERSION 1: {@code pread(h, count, offset)} returns a buffer; copy it in. */
    private void preadV1(MemorySegment seg, long offset) {
        long count = seg.byteSize();
        long r = invoke(Cb.pread, pyLong(count), pyLong(offset));
        if (r == 0) throw failure(Cb.pread);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment view = a.allocate(Py.SIZEOF_PY_BUFFER, 8);
            if (Py.PyObject_GetBuffer(r, view.address(), Py.PyBUF_SIMPLE) < 0) {
                Py.PyErr_Clear();
                throw plugin.badResult("pread", "expected a buffer (bytes, bytearray...), got "
                        + PythonRuntime.repr(r));
            }
            try {
                long p = view.get(JAVA_LONG, 0);
                long len = view.get(JAVA_LONG, 16);
                if (len < count) {
                    throw plugin.badResult("pread", "buffer returned is too small (" + len
                            + " bytes, " + count + " requested)");
                }
                MemorySegment.copy(Py.MEM, p, seg, 0, count);
            } finally {
                Py.PyBuffer_Release(view.address());
            }
        } finally {
            Py.Py_DecRef(r);
        }
    }

    @Override
    public void pwrite(IoBuffer buf, long offset, int flags) {
        if (!has(Cb.pwrite)) throw new PluginException(Errno.EROFS, "pwrite: not supported by the plugin");
        try (InCallback in = new InCallback()) {
            long exp = rt.exporter.newExporter(buf.segment(), true);
            if (exp == 0) throw failure(Cb.pwrite);
            long view = Py.PyMemoryView_FromObject(exp);
            if (view == 0) {
                Py.Py_DecRef(exp);
                throw failure(Cb.pwrite);
            }
            PluginException err = null;
            try {
                Py.Py_IncRef(view);
                long r = v1 ? invoke(Cb.pwrite, view, pyLong(offset))
                        : invoke(Cb.pwrite, view, pyLong(offset), pyLong(flags));
                if (r == 0) err = failure(Cb.pwrite);
                Py.Py_DecRef(r);
            } finally {
                rt.exporter.finish(exp, view, buf);
            }
            if (err != null) throw err;
        }
    }

    @Override
    public void flush(int flags) {
        if (!has(Cb.flush)) throw new PluginException(Errno.EIO, plugin.script() + ": missing callback: flush");
        if (v1) voidCall(Cb.flush, NO_ARGS);
        else voidCall(Cb.flush, () -> new long[] {pyLong(flags)});
    }

    @Override
    public void trim(long count, long offset, int flags) {
        if (!has(Cb.trim)) throw new PluginException(Errno.EIO, plugin.script() + ": missing callback: trim");
        if (v1) voidCall(Cb.trim, () -> new long[] {pyLong(count), pyLong(offset)});
        else voidCall(Cb.trim, () -> new long[] {pyLong(count), pyLong(offset), pyLong(flags)});
    }

    @Override
    public void zero(long count, long offset, int flags) {
        if (!has(Cb.zero)) throw new PluginException(Errno.ENOTSUP, "zero: not supported by the plugin");
        if (v1) {
            boolean mayTrim = (flags & dev.jnbdkit.spi.Flags.MAY_TRIM) != 0;
            voidCall(Cb.zero, () -> new long[] {pyLong(count), pyLong(offset), pyBool(mayTrim)});
        } else {
            voidCall(Cb.zero, () -> new long[] {pyLong(count), pyLong(offset), pyLong(flags)});
        }
    }

    @Override
    public void cache(long count, long offset, int flags) {
        if (!has(Cb.cache)) return;
        voidCall(Cb.cache, () -> new long[] {pyLong(count), pyLong(offset), pyLong(flags)});
    }

    @Override
    public void extents(long count, long offset, int flags, ExtentSink sink) {
        if (!has(Cb.extents)) {
            Handle.super.extents(count, offset, flags, sink);
            return;
        }
        call(Cb.extents, r -> {
            long it = Py.PyObject_GetIter(r);
            if (it == 0) {
                Py.PyErr_Clear();
                throw plugin.badResult("extents", "expected an iterable of (offset, length, type) tuples");
            }
            try {
                long item;
                int n = 0;
                while ((item = Py.PyIter_Next(it)) != 0) {
                    long[] e = ints(item, 3);
                    String shown = e == null ? PythonRuntime.repr(item) : null;
                    Py.Py_DecRef(item);
                    if (e == null) {
                        throw plugin.badResult("extents", "expected an (offset, length, type) tuple, got " + shown);
                    }
                    if (e[0] < 0 || e[1] < 0) {
                        throw plugin.badResult("extents", "negative offset or length in extent ("
                                + e[0] + ", " + e[1] + ", " + e[2] + ")");
                    }
                    sink.add(e[0], e[1], (int) e[2]);
                    n++;
                }
                if (Py.PyErr_Occurred() != 0) throw failure(Cb.extents);
                if (n == 0) throw plugin.badResult("extents", "no extents returned");
                return null;
            } finally {
                Py.Py_DecRef(it);
            }
        }, () -> new long[] {pyLong(count), pyLong(offset), pyLong(flags)});
    }
}
