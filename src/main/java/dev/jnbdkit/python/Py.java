package dev.jnbdkit.python;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The few CPython C-API functions jnbdkit calls, as FFM downcalls.
 *
 * <p>Every {@code PyObject*} (and every other pointer) is carried as a {@code long} address: no
 * {@link MemorySegment} is allocated per call, and a {@code long} is passed in the same register
 * as a pointer on the 64-bit ABIs we support. Only functions of the stable ABI are used (macros
 * such as {@code Py_INCREF} have no symbol; their function forms are called instead).
 *
 * <p>Downcall handles are created on first use: the first handle the linker makes is expensive,
 * and most plugins need only a part of this list. All functions but {@link #load} require the
 * calling thread to hold the GIL, as the C API does.
 */
final class Py {
    private Py() {}

    /** All of memory, to read and write native structures by absolute address. */
    static final MemorySegment MEM = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);

    static final int RTLD_NOW = 2;
    static final int RTLD_GLOBAL = 0x100;
    static final int Py_file_input = 257;
    static final int PyBUF_SIMPLE = 0;
    static final int PyBUF_WRITABLE = 1;
    static final int PyBUF_READ = 0x100;
    static final int PyBUF_WRITE = 0x200;
    static final int METH_VARARGS = 1;
    static final int Py_bf_getbuffer = 1;
    static final int Py_bf_releasebuffer = 2;
    static final long Py_TPFLAGS_DISALLOW_INSTANTIATION = 1L << 7;
    static final long Py_TPFLAGS_HAVE_VERSION_TAG = 1L << 18;
    /** sizeof(Py_buffer) on 64-bit: 11 eight-byte fields with two ints packed in one. */
    static final long SIZEOF_PY_BUFFER = 80;

    private static final Linker LINKER = Linker.nativeLinker();
    private static SymbolLookup lib;
    private static String libPath;

    // Descriptors, shared.
    private static final FunctionDescriptor V = FunctionDescriptor.ofVoid();
    private static final FunctionDescriptor V_J = FunctionDescriptor.ofVoid(JAVA_LONG);
    private static final FunctionDescriptor V_I = FunctionDescriptor.ofVoid(JAVA_INT);
    private static final FunctionDescriptor V_JJ = FunctionDescriptor.ofVoid(JAVA_LONG, JAVA_LONG);
    private static final FunctionDescriptor V_JJJ = FunctionDescriptor.ofVoid(JAVA_LONG, JAVA_LONG, JAVA_LONG);
    private static final FunctionDescriptor J = FunctionDescriptor.of(JAVA_LONG);
    private static final FunctionDescriptor I = FunctionDescriptor.of(JAVA_INT);
    private static final FunctionDescriptor J_J = FunctionDescriptor.of(JAVA_LONG, JAVA_LONG);
    private static final FunctionDescriptor J_JJ = FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG);
    private static final FunctionDescriptor J_JJJ = FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG);
    private static final FunctionDescriptor J_JJI = FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT);
    private static final FunctionDescriptor I_J = FunctionDescriptor.of(JAVA_INT, JAVA_LONG);
    private static final FunctionDescriptor I_JJ = FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG);
    private static final FunctionDescriptor I_JJJ = FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG);
    private static final FunctionDescriptor I_JJI = FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT);
    private static final FunctionDescriptor I_JJJJII =
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_INT);

    private enum F {
        Py_SetProgramName(V_J), Py_InitializeEx(V_I), Py_IsInitialized(I), PyEval_SaveThread(J),
        PyGILState_Ensure(I), PyGILState_Release(V_I), Py_GetVersion(J),
        Py_IncRef(V_J), Py_DecRef(V_J),
        PyErr_Occurred(J), PyErr_Fetch(V_JJJ), PyErr_NormalizeException(V_JJJ), PyErr_SetString(V_JJ),
        PyErr_Clear(V),
        PyUnicode_FromStringAndSize(J_JJ), PyUnicode_AsUTF8AndSize(J_JJ), PyObject_Str(J_J), PyObject_Repr(J_J),
        PyLong_FromLongLong(J_J), PyLong_AsLongLong(J_J), PyLong_AsUnsignedLongLong(J_J), PyBool_FromLong(J_J),
        PyObject_IsTrue(I_J), PyObject_IsInstance(I_JJ),
        PyObject_GetAttrString(J_JJ), PyObject_HasAttrString(I_JJ), PyObject_SetAttrString(I_JJJ),
        PyObject_CallObject(J_JJ),
        PyTuple_New(J_J), PyTuple_SetItem(I_JJJ),
        PyImport_ImportModule(J_J), Py_CompileString(J_JJI), PyImport_ExecCodeModuleEx(J_JJJ),
        PyModule_New(J_J), PyModule_AddIntConstant(I_JJJ), PyCFunction_NewEx(J_JJJ),
        PySys_GetObject(J_J), PyDict_SetItemString(I_JJJ),
        PyType_FromSpec(J_J), PyType_GenericAlloc(J_JJ),
        PyMemoryView_FromObject(J_J), PyBuffer_FillInfo(I_JJJJII), PyObject_GetBuffer(I_JJI),
        PyBuffer_Release(V_J),
        PyObject_GetIter(J_J), PyIter_Next(J_J), PySequence_Size(J_J), PySequence_GetItem(J_JJ),
        PyList_Append(I_JJ), PyList_New(J_J), PyList_Size(J_J), PyList_GetItem(J_JJ);

        final FunctionDescriptor fd;
        MethodHandle mh;

        F(FunctionDescriptor fd) { this.fd = fd; }

        MethodHandle h() {
            MethodHandle h = mh;
            if (h == null) {
                MemorySegment sym = lib.find(name()).orElseThrow(() ->
                        new UnsatisfiedLinkError(libPath + ": missing symbol " + name()));
                h = mh = LINKER.downcallHandle(sym, fd);
            }
            return h;
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Loading

    /** dlopen libpython with RTLD_GLOBAL (so C extension modules resolve its symbols), then look up. */
    static synchronized void load(String path) {
        if (lib != null) return;
        try (Arena a = Arena.ofConfined()) {
            SymbolLookup libc = LINKER.defaultLookup();
            MethodHandle dlopen = LINKER.downcallHandle(libc.find("dlopen").orElseThrow(),
                    FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_INT));
            long h = (long) dlopen.invokeExact(a.allocateFrom(path).address(), RTLD_NOW | RTLD_GLOBAL);
            if (h == 0) {
                MethodHandle dlerror = LINKER.downcallHandle(libc.find("dlerror").orElseThrow(), J);
                long msg = (long) dlerror.invokeExact();
                throw new IllegalStateException(msg == 0 ? "dlopen " + path + " failed" : cString(msg));
            }
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
        // The library is now loaded globally; libraryLookup only adds a reference to it.
        lib = SymbolLookup.libraryLookup(path, Arena.global());
        libPath = path;
    }

    static boolean loaded() { return lib != null; }

    static boolean has(String symbol) { return lib.find(symbol).isPresent(); }

    /** Address of a data symbol (e.g. {@code _Py_NoneStruct}). */
    static long symbol(String name) {
        return lib.find(name).orElseThrow(() -> new UnsatisfiedLinkError(libPath + ": missing symbol " + name))
                .address();
    }

    /** Value of a {@code PyObject *} global variable (e.g. {@code PyExc_RuntimeError}). */
    static long objectVar(String name) { return MEM.get(JAVA_LONG, symbol(name)); }

    static MemorySegment upcall(MethodHandle target, FunctionDescriptor fd) {
        return LINKER.upcallStub(target, fd, Arena.global());
    }

    // ---------------------------------------------------------------------------------------------
    // Helpers on raw memory

    static String cString(long addr) {
        if (addr == 0) return null;
        return MEM.getString(addr, StandardCharsets.UTF_8);
    }

    static long getLong(long addr) { return MEM.get(JAVA_LONG, addr); }

    static void putLong(long addr, long v) { MEM.set(JAVA_LONG, addr, v); }

    static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) throw r;
        if (t instanceof Error e) throw e;
        throw new IllegalStateException(t);
    }

    // ---------------------------------------------------------------------------------------------
    // The C API. Names follow the C functions.

    static void Py_SetProgramName(long wname) {
        try { F.Py_SetProgramName.h().invokeExact(wname); } catch (Throwable t) { throw rethrow(t); }
    }

    static void Py_InitializeEx(int initsigs) {
        try { F.Py_InitializeEx.h().invokeExact(initsigs); } catch (Throwable t) { throw rethrow(t); }
    }

    static int Py_IsInitialized() {
        try { return (int) F.Py_IsInitialized.h().invokeExact(); } catch (Throwable t) { throw rethrow(t); }
    }

    static long PyEval_SaveThread() {
        try { return (long) F.PyEval_SaveThread.h().invokeExact(); } catch (Throwable t) { throw rethrow(t); }
    }

    static int PyGILState_Ensure() {
        try { return (int) F.PyGILState_Ensure.h().invokeExact(); } catch (Throwable t) { throw rethrow(t); }
    }

    static void PyGILState_Release(int state) {
        try { F.PyGILState_Release.h().invokeExact(state); } catch (Throwable t) { throw rethrow(t); }
    }

    static String Py_GetVersion() {
        try { return cString((long) F.Py_GetVersion.h().invokeExact()); } catch (Throwable t) { throw rethrow(t); }
    }

    static void Py_IncRef(long o) {
        try { F.Py_IncRef.h().invokeExact(o); } catch (Throwable t) { throw rethrow(t); }
    }

    static void Py_DecRef(long o) {
        if (o == 0) return;
        try { F.Py_DecRef.h().invokeExact(o); } catch (Throwable t) { throw rethrow(t); }
    }

    static long PyErr_Occurred() {
        try { return (long) F.PyErr_Occurred.h().invokeExact(); } catch (Throwable t) { throw rethrow(t); }
    }

    static void PyErr_Fetch(long pt, long pv, long ptb) {
        try { F.PyErr_Fetch.h().invokeExact(pt, pv, ptb); } catch (Throwable t) { throw rethrow(t); }
    }

    static void PyErr_NormalizeException(long pt, long pv, long ptb) {
        try { F.PyErr_NormalizeException.h().invokeExact(pt, pv, ptb); } catch (Throwable t) { throw rethrow(t); }
    }

    static void PyErr_SetString(long type, long msg) {
        try { F.PyErr_SetString.h().invokeExact(type, msg); } catch (Throwable t) { throw rethrow(t); }
    }

    static void PyErr_Clear() {
        try { F.PyErr_Clear.h().invokeExact(); } catch (Throwable t) { throw rethrow(t); }
    }

    static long PyUnicode_FromStringAndSize(long s, long n) {
        try { return (long) F.PyUnicode_FromStringAndSize.h().invokeExact(s, n); } catch (Throwable t) { throw rethrow(t); }
    }

    static long PyUnicode_AsUTF8AndSize(long o, long psize) {
        try { return (long) F.PyUnicode_AsUTF8AndSize.h().invokeExact(o, psize); } catch (Throwable t) { throw rethrow(t); }
    }

    static long PyObject_Str(long o) {
        try { return (long) F.PyObject_Str.h().invokeExact(o); } catch (Throwable t) { throw rethrow(t); }
    }

    static long PyObject_Repr(long o) {
        try { return (long) F.PyObject_Repr.h().invokeExact(o); } catch (Throwable t) { throw rethrow(t); }
    }

    static long PyLong_FromLongLong(long v) {
        try { return (long) F.PyLong_FromLongLong.h().invokeExact(v); } catch (Throwable t) { throw rethrow(t); }
    }

    static long PyLong_AsLongLong(long o) {
        try { return (long) F.PyLong_AsLongLong.h().invokeExact(o); } catch (Throwable t) { throw rethrow(t); }
    }

    static long PyLong_AsUnsignedLongLong(long o) {
        try { return (long) F.PyLong_AsUnsignedLongLong.h().invokeExact(o); } catch (Throwable t) { throw rethrow(t); }
    }

    static long PyBool_FromLong(long v) {
        try { return (long) F.PyBool_FromLong.h().invokeExact(v); } catch (Throwable t) { throw rethrow(t); }
    }

    static int PyObject_IsTrue(long o) {
        try { return (int) F.PyObject_IsTrue.h().invokeExact(o); } catch (Throwable t) { throw rethrow(t); }
    }

    static int PyObject_IsInstance(long o, long cls) {
        try { return (int) F.PyObject_IsInstance.h().invokeExact(o, cls); } catch (Throwable t) { throw rethrow(t); }
    }

    static long PyObject_GetAttrString(long o, long name) {
        try { return (long) F.PyObject_GetAttrString.h().invokeExact(o, name); } catch (Throwable t) { throw rethrow(t); }
    }

    static int PyObject_HasAttrString(long o, long name) {
        try { return (int) F.PyObject_HasAttrString.h().invokeExact(o, name); } catch (Throwable t) { throw rethrow(t); }
    }

    static int PyObject_SetAttrString(long o, long name, long v) {
        try { return (int) F.PyObject_SetAttrString.h().invokeExact(o, name, v); } catch (Throwable t) { throw rethrow(t); }
    }

    static long PyObject_CallObject(long callable, long args) {
        try { return (long) F.PyObject_CallObject.h().invokeExact(callable, args); } catch (Throwable t) { throw rethrow(t); }
    }

    static long PyTuple_New(long n) {
        try { return (long) F.PyTuple_New.h().invokeExact(n); } catch (Throwable t) { throw rethrow(t); }
    }

    /** Steals the reference to {@code v}. */
    static int PyTuple_SetItem(long tuple, long i, long v) {
        try { return (int) F.PyTuple_SetItem.h().invokeExact(tuple, i, v); } catch (Throwable t) { throw rethrow(t); }
    }

    static long PyImport_ImportModule(long name) {
        try { return (long) F.PyImport_ImportModule.h().invokeExact(name); } catch (Throwable t) { throw rethrow(t); }
    }

    static long Py_CompileString(long src, long filename, int start) {
        try { return (long) F.Py_CompileString.h().invokeExact(src, filename, start); } catch (Throwable t) { throw rethrow(t); }
    }

    static long PyImport_ExecCodeModuleEx(long name, long code, long path) {
        try { return (long) F.PyImport_ExecCodeModuleEx.h().invokeExact(name, code, path); } catch (Throwable t) { throw rethrow(t); }
    }

    static long PyModule_New(long name) {
        try { return (long) F.PyModule_New.h().invokeExact(name); } catch (Throwable t) { throw rethrow(t); }
    }

    static int PyModule_AddIntConstant(long module, long name, long value) {
        try { return (int) F.PyModule_AddIntConstant.h().invokeExact(module, name, value); } catch (Throwable t) { throw rethrow(t); }
    }

    static long PyCFunction_NewEx(long def, long self, long module) {
        try { return (long) F.PyCFunction_NewEx.h().invokeExact(def, self, module); } catch (Throwable t) { throw rethrow(t); }
    }

    /** Borrowed reference. */
    static long PySys_GetObject(long name) {
        try { return (long) F.PySys_GetObject.h().invokeExact(name); } catch (Throwable t) { throw rethrow(t); }
    }

    static int PyDict_SetItemString(long d, long key, long v) {
        try { return (int) F.PyDict_SetItemString.h().invokeExact(d, key, v); } catch (Throwable t) { throw rethrow(t); }
    }

    static long PyType_FromSpec(long spec) {
        try { return (long) F.PyType_FromSpec.h().invokeExact(spec); } catch (Throwable t) { throw rethrow(t); }
    }

    static long PyType_GenericAlloc(long type, long n) {
        try { return (long) F.PyType_GenericAlloc.h().invokeExact(type, n); } catch (Throwable t) { throw rethrow(t); }
    }

    static long PyMemoryView_FromObject(long o) {
        try { return (long) F.PyMemoryView_FromObject.h().invokeExact(o); } catch (Throwable t) { throw rethrow(t); }
    }

    static int PyBuffer_FillInfo(long view, long obj, long buf, long len, int readonly, int flags) {
        try {
            return (int) F.PyBuffer_FillInfo.h().invokeExact(view, obj, buf, len, readonly, flags);
        } catch (Throwable t) { throw rethrow(t); }
    }

    static int PyObject_GetBuffer(long o, long view, int flags) {
        try { return (int) F.PyObject_GetBuffer.h().invokeExact(o, view, flags); } catch (Throwable t) { throw rethrow(t); }
    }

    static void PyBuffer_Release(long view) {
        try { F.PyBuffer_Release.h().invokeExact(view); } catch (Throwable t) { throw rethrow(t); }
    }

    static long PyObject_GetIter(long o) {
        try { return (long) F.PyObject_GetIter.h().invokeExact(o); } catch (Throwable t) { throw rethrow(t); }
    }

    static long PyIter_Next(long it) {
        try { return (long) F.PyIter_Next.h().invokeExact(it); } catch (Throwable t) { throw rethrow(t); }
    }

    static long PySequence_Size(long o) {
        try { return (long) F.PySequence_Size.h().invokeExact(o); } catch (Throwable t) { throw rethrow(t); }
    }

    static long PySequence_GetItem(long o, long i) {
        try { return (long) F.PySequence_GetItem.h().invokeExact(o, i); } catch (Throwable t) { throw rethrow(t); }
    }

    static long PyList_New(long n) {
        try { return (long) F.PyList_New.h().invokeExact(n); } catch (Throwable t) { throw rethrow(t); }
    }

    static int PyList_Append(long list, long item) {
        try { return (int) F.PyList_Append.h().invokeExact(list, item); } catch (Throwable t) { throw rethrow(t); }
    }

    static long PyList_Size(long list) {
        try { return (long) F.PyList_Size.h().invokeExact(list); } catch (Throwable t) { throw rethrow(t); }
    }

    /** Borrowed reference. */
    static long PyList_GetItem(long list, long i) {
        try { return (long) F.PyList_GetItem.h().invokeExact(list, i); } catch (Throwable t) { throw rethrow(t); }
    }
}
