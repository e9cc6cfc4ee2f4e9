package dev.jnbdkit.python;

import dev.jnbdkit.spi.IoBuffer;
import dev.jnbdkit.spi.PluginException;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Lends a request's native buffer to Python with no copy, and knows when Python is done with it.
 *
 * <p>A Python type ({@code nbdkit.Buffer}, built with {@code PyType_FromSpec}) whose buffer
 * protocol slots {@code bf_getbuffer} and {@code bf_releasebuffer} are FFM upcalls. Each data
 * request gets one instance pointing at its {@link IoBuffer}; the script sees a
 * {@code memoryview} of it. Every view derived from that memoryview (slices, {@code memoryview(buf)},
 * numpy arrays...) holds an export of our object, so the export count says exactly whether Python
 * can still reach the memory:
 * <ul>
 * <li>after the callback, if the count is zero the buffer goes back to the server untouched;</li>
 * <li>otherwise the buffer is {@link IoBuffer#retain retained} and {@link IoBuffer#release released}
 *     when the last export goes (from whatever thread Python drops it on), so the server never
 *     reuses memory a script can still see.</li>
 * </ul>
 * Once its buffer is given back, an object answers new export requests with {@code ValueError}
 * (a script could keep {@code buf.obj}).
 *
 * <p>All methods run with the GIL held; the GIL also serializes the upcalls with them.
 */
final class BufferExporter {
    /** Buffers whose request completed while Python still held exports, by object id. */
    static final Map<Long, IoBuffer> DETACHED = new ConcurrentHashMap<>();
    private static final AtomicLong IDS = new AtomicLong();

    // Field offsets in the object, after the PyObject header.
    private static long oBuf, oLen, oReadonly, oExports, oId;
    private static long valueError;

    private final long type;

    BufferExporter(PythonRuntime rt) {
        valueError = rt.valueError;
        long header = 16;   // PyObject header of a regular (non-debug, GIL) build
        long object = Py.symbol("PyBaseObject_Type");
        long bs = Py.PyObject_GetAttrString(object, PythonRuntime.cstr("__basicsize__"));
        if (bs != 0) {
            header = Py.PyLong_AsLongLong(bs);
            Py.Py_DecRef(bs);
        }
        Py.PyErr_Clear();
        oBuf = header;
        oLen = header + 8;
        oReadonly = header + 16;
        oExports = header + 24;
        oId = header + 32;
        long basicsize = header + 40;

        Arena g = Arena.global();
        MemorySegment getbuffer = Stubs.GETBUFFER, releasebuffer = Stubs.RELEASEBUFFER;
        // PyType_Slot slots[] = {{Py_bf_getbuffer, fn}, {Py_bf_releasebuffer, fn}, {0, NULL}}
        MemorySegment slots = g.allocate(16 * 3, 8);
        slots.set(JAVA_INT, 0, Py.Py_bf_getbuffer);
        slots.set(JAVA_LONG, 8, getbuffer.address());
        slots.set(JAVA_INT, 16, Py.Py_bf_releasebuffer);
        slots.set(JAVA_LONG, 24, releasebuffer.address());
        // PyType_Spec {const char *name; int basicsize; int itemsize; unsigned flags; PyType_Slot *slots}
        MemorySegment spec = g.allocate(32, 8);
        spec.set(JAVA_LONG, 0, PythonRuntime.cstr("nbdkit.Buffer"));
        spec.set(JAVA_INT, 8, (int) basicsize);
        spec.set(JAVA_INT, 12, 0);
        spec.set(JAVA_INT, 16, (int) (Py.Py_TPFLAGS_HAVE_VERSION_TAG | Py.Py_TPFLAGS_DISALLOW_INSTANTIATION));
        spec.set(JAVA_LONG, 24, slots.address());
        type = Py.PyType_FromSpec(spec.address());
        if (type == 0) {
            throw new PluginException("python: cannot create the buffer type: " + rt.fetchError("?"));
        }
    }

    /** The upcall stubs, made on first use (or ahead of it by {@link Py#prelinkAsync}). */
    static final class Stubs {
        static final MemorySegment GETBUFFER, RELEASEBUFFER;

        static {
            try {
                var lookup = MethodHandles.lookup();
                // One all-long shape for every upcall, as for the downcalls (see Py.upcall).
                GETBUFFER = Py.upcall(lookup.findStatic(BufferExporter.class, "getbuffer", Py.UPCALL_TYPE));
                RELEASEBUFFER = Py.upcall(lookup.findStatic(BufferExporter.class, "releasebuffer", Py.UPCALL_TYPE));
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
        }

        static void init() {}
    }

    /** A new exporter object over {@code seg} (new reference). */
    long newExporter(MemorySegment seg, boolean readonly) {
        long o = Py.PyType_GenericAlloc(type, 0);
        if (o == 0) return 0;
        Py.putLong(o + oBuf, seg.address());
        Py.putLong(o + oLen, seg.byteSize());
        Py.putLong(o + oReadonly, readonly ? 1 : 0);
        Py.putLong(o + oExports, 0);
        Py.putLong(o + oId, 0);
        return o;
    }

    /**
     * The callback returned: drop our view and our reference to the exporter. If Python still
     * holds exports, retain {@code buf} until the last one is released.
     */
    void finish(long exporter, long view, IoBuffer buf) {
        Py.Py_DecRef(view);
        if (Py.getLong(exporter + oExports) > 0) {
            long id = IDS.incrementAndGet();
            buf.retain();
            DETACHED.put(id, buf);
            Py.putLong(exporter + oId, id);
        } else {
            invalidate(exporter);
        }
        Py.Py_DecRef(exporter);
    }

    /** Number of exports of {@code exporter} (tests). */
    static long exports(long exporter) { return Py.getLong(exporter + oExports); }

    private static void invalidate(long o) {
        Py.putLong(o + oBuf, 0);
        Py.putLong(o + oLen, 0);
    }

    // ---------------------------------------------------------------------------------------------
    // Upcalls. Never throw.

    /**
     * {@code int getbuffer(PyObject *self, Py_buffer *view, int flags)}, linked as all-long: the
     * int argument is the low half of its register (the high half is undefined, hence the cast),
     * the int result the low half of ours.
     */
    static long getbuffer(long self, long view, long flagsRegister) {
        int flags = (int) flagsRegister;
        try {
            long buf = Py.getLong(self + oBuf);
            if (buf == 0) {
                PythonRuntime.raise(valueError, "this buffer belongs to a request that has completed");
                return -1;
            }
            int r = Py.PyBuffer_FillInfo(view, self, buf, Py.getLong(self + oLen),
                    (int) Py.getLong(self + oReadonly), flags);
            if (r < 0) return -1;
            Py.putLong(self + oExports, Py.getLong(self + oExports) + 1);
            return 0;
        } catch (Throwable t) {
            try {
                PythonRuntime.raise(valueError, "jnbdkit: " + t);
            } catch (Throwable ignored) {
                // nothing safe left to do
            }
            return -1;
        }
    }

    /** {@code void releasebuffer(PyObject *self, Py_buffer *view)}; the result is ignored by C (see Py.upcall for the third argument). */
    static long releasebuffer(long self, long view, long unusedRegister) {
        try {
            long n = Py.getLong(self + oExports) - 1;
            Py.putLong(self + oExports, n);
            if (n == 0) {
                long id = Py.getLong(self + oId);
                if (id != 0) {
                    invalidate(self);
                    Py.putLong(self + oId, 0);
                    IoBuffer b = DETACHED.remove(id);
                    if (b != null) b.release();
                }
            }
        } catch (Throwable t) {
            // Cannot report from here; the buffer stays retained (a leak, never a reuse).
        }
        return 0;
    }
}
