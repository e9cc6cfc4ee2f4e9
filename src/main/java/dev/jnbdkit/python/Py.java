package dev.jnbdkit.python;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodType;
import java.nio.charset.StandardCharsets;

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
    static final int METH_NOARGS = 4;
    static final int Py_bf_getbuffer = 1;
    static final int Py_bf_releasebuffer = 2;
    static final long Py_TPFLAGS_DISALLOW_INSTANTIATION = 1L << 7;
    static final long Py_TPFLAGS_HAVE_VERSION_TAG = 1L << 18;
    /** sizeof(Py_buffer) on 64-bit: 11 eight-byte fields with two ints packed in one. */
    static final long SIZEOF_PY_BUFFER = 80;

    private static final Linker LINKER = Linker.nativeLinker();
    private static SymbolLookup lib;
    private static String libPath;

    /*
     * Downcalls. Every function is linked through one shape, {@code long f(long x 6)}: all
     * arguments and the result are JAVA_LONG, and a function of fewer arguments gets zeros for
     * the rest. Each distinct FunctionDescriptor costs generated stub and LambdaForm classes
     * (about ten) that the JDK's AOT cache cannot archive, about 1 ms of CPU apiece on a cold start;
     * one shape makes them once. This is exact on the 64-bit ABIs we support (x86-64 SysV,
     * AArch64 AAPCS64): the first six integer arguments travel in registers, so a callee that
     * takes fewer never reads the extra ones, and the caller owns the stack; an int argument
     * travels in the low half of a 64-bit register (we pass it sign-extended); an int result is
     * the low half of the result register (we cast the long back to int, discarding the
     * undefined high half); a void function's result register is ignored. Variadic functions
     * (PyArg_ParseTuple) and double arguments have their own shapes below.
     *
     * The handle is unbound (the function's address is the first argument) and held in a static
     * final of a holder class, created on first use: a constant for the JIT.
     */
    private static final class A6 {
        static final MethodHandle MH = LINKER.downcallHandle(
                FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG));
    }

    /** The shape's calls with fewer arguments: the rest are zeros (see above). */
    private static long call(MemorySegment f) throws Throwable {
        return (long) A6.MH.invokeExact(f, 0L, 0L, 0L, 0L, 0L, 0L);
    }

    private static long call(MemorySegment f, long a) throws Throwable {
        return (long) A6.MH.invokeExact(f, a, 0L, 0L, 0L, 0L, 0L);
    }

    private static long call(MemorySegment f, long a, long b) throws Throwable {
        return (long) A6.MH.invokeExact(f, a, b, 0L, 0L, 0L, 0L);
    }

    private static long call(MemorySegment f, long a, long b, long c) throws Throwable {
        return (long) A6.MH.invokeExact(f, a, b, c, 0L, 0L, 0L);
    }

    /**
     * Start-up: make the downcall shape, the variadic PyArg_ParseTuple's and the upcall stubs on
     * a background thread while the caller loads libpython and runs Py_InitializeEx (each is a
     * class the JVM generates and the AOT cache cannot hold). Whoever needs one first waits for
     * its class initialisation.
     */
    static void prelinkAsync() {
        Thread.ofPlatform().daemon().name("python-prelink").start(() -> {
            try {
                NbdkitModule.Stub.init();
                BufferExporter.Stubs.init();
                MethodHandle unused = ParseTuple1.MH;   // the first module function call with arguments
            } catch (Throwable t) {
                // The thread that needs the failed piece will see the failure itself.
            }
        });
    }

    private enum F {
        Py_SetProgramName, Py_InitializeEx, Py_IsInitialized, PyEval_SaveThread, PyGILState_Ensure,
        PyGILState_Release, PyGILState_GetThisThreadState, PyThreadState_Clear, PyThreadState_Delete,
        Py_GetVersion, Py_IncRef, Py_DecRef, PyErr_Occurred, PyErr_Fetch,
        PyErr_NormalizeException, PyErr_SetString, PyErr_Clear, PyUnicode_FromStringAndSize,
        PyUnicode_AsUTF8AndSize, PyObject_Str, PyObject_Repr, PyLong_FromLongLong, PyLong_AsLongLong,
        PyLong_AsUnsignedLongLong, PyBool_FromLong, PyObject_IsTrue, PyObject_IsInstance,
        PyObject_GetAttrString, PyObject_HasAttrString, PyObject_SetAttrString, PyObject_CallObject,
        PyTuple_New, PyTuple_SetItem, PyImport_ImportModule, Py_CompileString, PyImport_ExecCodeModuleEx,
        PyModule_New, PyModule_AddIntConstant, PyCFunction_NewEx, PySys_GetObject, PyDict_SetItemString,
        PyType_FromSpec, PyType_GenericAlloc, PyMemoryView_FromObject, PyBuffer_FillInfo,
        PyObject_GetBuffer, PyBuffer_Release, PyObject_GetIter, PyIter_Next, PySequence_Size,
        PySequence_GetItem, PyList_New, PyList_Append, PyList_Size, PyList_GetItem, PyArg_ParseTuple,
        PyEval_RestoreThread, PyImport_AddModule, PyModule_GetDict, PyEval_EvalCode, PyDict_GetItemString,
        PyDict_DelItemString, PyBytes_FromStringAndSize, PyFloat_FromDouble, PyErr_Print, PyErr_ExceptionMatches, PyDict_New;

        private MemorySegment fn;

        /** The function's address, looked up on first use. */
        MemorySegment a() {
            MemorySegment s = fn;
            if (s == null) {
                s = fn = lib.find(name()).orElseThrow(() ->
                        new UnsatisfiedLinkError(libPath + ": missing symbol " + name()));
            }
            return s;
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Loading

    /** dlopen libpython with RTLD_GLOBAL (so C extension modules resolve its symbols), then look up. */
    static synchronized void load(String path) {
        if (lib != null) return;
        try (Arena a = Arena.ofConfined()) {
            SymbolLookup libc = LINKER.defaultLookup();
            long h = call(libc.find("dlopen").orElseThrow(), a.allocateFrom(path).address(),
                    (long) (RTLD_NOW | RTLD_GLOBAL));
            if (h == 0) {
                long msg = call(libc.find("dlerror").orElseThrow());
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

    static boolean has(String symbol) { return lib.find(symbol).isPresent(); }

    /** Address of a data symbol (e.g. {@code _Py_NoneStruct}). */
    static long symbol(String name) {
        return lib.find(name).orElseThrow(() -> new UnsatisfiedLinkError(libPath + ": missing symbol " + name))
                .address();
    }

    /** Value of a {@code PyObject *} global variable (e.g. {@code PyExc_RuntimeError}). */
    static long objectVar(String name) { return MEM.get(JAVA_LONG, symbol(name)); }

    /**
     * Every upcall has one shape, {@code long f(long, long, long)}, for the reason the downcalls
     * have one: the nbdkit module's functions ({@code PyObject *(PyObject *self, PyObject *args)})
     * and the buffer type's releasebuffer take two arguments and ignore the third register, whose
     * content is undefined; getbuffer's int flags arrive in the low half of it; a void or int
     * result is read from the result register's low half or not at all.
     */
    static final MethodType UPCALL_TYPE = MethodType.methodType(long.class, long.class, long.class, long.class);
    private static final FunctionDescriptor UPCALL_SHAPE = FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG);

    static MemorySegment upcall(MethodHandle target) {
        return LINKER.upcallStub(target, UPCALL_SHAPE, Arena.global());
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
        try {
            long unused = call(F.Py_SetProgramName.a(), wname);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static void Py_InitializeEx(int initsigs) {
        try {
            long unused = call(F.Py_InitializeEx.a(), (long) initsigs);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int Py_IsInitialized() {
        try {
            return (int) call(F.Py_IsInitialized.a());
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static long PyEval_SaveThread() {
        try {
            return call(F.PyEval_SaveThread.a());
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int PyGILState_Ensure() {
        try {
            return (int) call(F.PyGILState_Ensure.a());
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static void PyGILState_Release(int state) {
        try {
            long unused = call(F.PyGILState_Release.a(), (long) state);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static long PyGILState_GetThisThreadState() {
        try {
            return call(F.PyGILState_GetThisThreadState.a());
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static void PyThreadState_Clear(long ts) {
        try {
            long unused = call(F.PyThreadState_Clear.a(), ts);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static void PyThreadState_Delete(long ts) {
        try {
            long unused = call(F.PyThreadState_Delete.a(), ts);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static String Py_GetVersion() {
        try {
            return cString(call(F.Py_GetVersion.a()));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static void Py_IncRef(long o) {
        try {
            long unused = call(F.Py_IncRef.a(), o);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static void Py_DecRef(long o) {
        if (o == 0) return;
        try {
            long unused = call(F.Py_DecRef.a(), o);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static long PyErr_Occurred() {
        try {
            return call(F.PyErr_Occurred.a());
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static void PyErr_Fetch(long pt, long pv, long ptb) {
        try {
            long unused = call(F.PyErr_Fetch.a(), pt, pv, ptb);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static void PyErr_NormalizeException(long pt, long pv, long ptb) {
        try {
            long unused = call(F.PyErr_NormalizeException.a(), pt, pv, ptb);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static void PyErr_SetString(long type, long msg) {
        try {
            long unused = call(F.PyErr_SetString.a(), type, msg);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static void PyErr_Clear() {
        try {
            long unused = call(F.PyErr_Clear.a());
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static long PyUnicode_FromStringAndSize(long s, long n) {
        try {
            return call(F.PyUnicode_FromStringAndSize.a(), s, n);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static long PyUnicode_AsUTF8AndSize(long o, long psize) {
        try {
            return call(F.PyUnicode_AsUTF8AndSize.a(), o, psize);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static long PyObject_Str(long o) {
        try {
            return call(F.PyObject_Str.a(), o);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static long PyObject_Repr(long o) {
        try {
            return call(F.PyObject_Repr.a(), o);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static long PyLong_FromLongLong(long v) {
        try {
            return call(F.PyLong_FromLongLong.a(), v);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static long PyLong_AsLongLong(long o) {
        try {
            return call(F.PyLong_AsLongLong.a(), o);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static long PyLong_AsUnsignedLongLong(long o) {
        try {
            return call(F.PyLong_AsUnsignedLongLong.a(), o);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static long PyBool_FromLong(long v) {
        try {
            return call(F.PyBool_FromLong.a(), v);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int PyObject_IsTrue(long o) {
        try {
            return (int) call(F.PyObject_IsTrue.a(), o);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int PyObject_IsInstance(long o, long cls) {
        try {
            return (int) call(F.PyObject_IsInstance.a(), o, cls);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static long PyObject_GetAttrString(long o, long name) {
        try {
            return call(F.PyObject_GetAttrString.a(), o, name);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int PyObject_HasAttrString(long o, long name) {
        try {
            return (int) call(F.PyObject_HasAttrString.a(), o, name);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int PyObject_SetAttrString(long o, long name, long v) {
        try {
            return (int) call(F.PyObject_SetAttrString.a(), o, name, v);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static long PyObject_CallObject(long callable, long args) {
        try {
            return call(F.PyObject_CallObject.a(), callable, args);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static long PyTuple_New(long n) {
        try {
            return call(F.PyTuple_New.a(), n);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Steals the reference to {@code v}. */
    static int PyTuple_SetItem(long tuple, long i, long v) {
        try {
            return (int) call(F.PyTuple_SetItem.a(), tuple, i, v);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static long PyImport_ImportModule(long name) {
        try {
            return call(F.PyImport_ImportModule.a(), name);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static long Py_CompileString(long src, long filename, int start) {
        try {
            return call(F.Py_CompileString.a(), src, filename, (long) start);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static long PyImport_ExecCodeModuleEx(long name, long code, long path) {
        try {
            return call(F.PyImport_ExecCodeModuleEx.a(), name, code, path);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static long PyModule_New(long name) {
        try {
            return call(F.PyModule_New.a(), name);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int PyModule_AddIntConstant(long module, long name, long value) {
        try {
            return (int) call(F.PyModule_AddIntConstant.a(), module, name, value);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static long PyCFunction_NewEx(long def, long self, long module) {
        try {
            return call(F.PyCFunction_NewEx.a(), def, self, module);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Borrowed reference. */
    static long PySys_GetObject(long name) {
        try {
            return call(F.PySys_GetObject.a(), name);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int PyDict_SetItemString(long d, long key, long v) {
        try {
            return (int) call(F.PyDict_SetItemString.a(), d, key, v);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static long PyType_FromSpec(long spec) {
        try {
            return call(F.PyType_FromSpec.a(), spec);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static long PyType_GenericAlloc(long type, long n) {
        try {
            return call(F.PyType_GenericAlloc.a(), type, n);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static long PyMemoryView_FromObject(long o) {
        try {
            return call(F.PyMemoryView_FromObject.a(), o);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int PyBuffer_FillInfo(long view, long obj, long buf, long len, int readonly, int flags) {
        try {
            return (int) (long) A6.MH.invokeExact(F.PyBuffer_FillInfo.a(), view, obj, buf, len, (long) readonly, (long) flags);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int PyObject_GetBuffer(long o, long view, int flags) {
        try {
            return (int) call(F.PyObject_GetBuffer.a(), o, view, (long) flags);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static void PyBuffer_Release(long view) {
        try {
            long unused = call(F.PyBuffer_Release.a(), view);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static long PyObject_GetIter(long o) {
        try {
            return call(F.PyObject_GetIter.a(), o);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static long PyIter_Next(long it) {
        try {
            return call(F.PyIter_Next.a(), it);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static long PySequence_Size(long o) {
        try {
            return call(F.PySequence_Size.a(), o);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static long PySequence_GetItem(long o, long i) {
        try {
            return call(F.PySequence_GetItem.a(), o, i);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static long PyList_New(long n) {
        try {
            return call(F.PyList_New.a(), n);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int PyList_Append(long list, long item) {
        try {
            return (int) call(F.PyList_Append.a(), list, item);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static long PyList_Size(long list) {
        try {
            return call(F.PyList_Size.a(), list);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Borrowed reference. */
    static long PyList_GetItem(long list, long i) {
        try {
            return call(F.PyList_GetItem.a(), list, i);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Added for the nbdkit module of nbdkit 1.44 and for running the script as __main__.

    /*
     * PyArg_ParseTuple is variadic: it gets its own, properly variadic, downcalls (made the first
     * time a module function that takes arguments is called), so that CPython itself checks the
     * arguments and raises exactly the exceptions it raises under nbdkit.
     */
    private static final class ParseTuple1 {
        static final MethodHandle MH = LINKER.downcallHandle(FunctionDescriptor.of(java.lang.foreign.ValueLayout.JAVA_INT,
                JAVA_LONG, JAVA_LONG, JAVA_LONG), Linker.Option.firstVariadicArg(2));
    }

    private static final class ParseTuple2 {
        static final MethodHandle MH = LINKER.downcallHandle(FunctionDescriptor.of(java.lang.foreign.ValueLayout.JAVA_INT,
                JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG), Linker.Option.firstVariadicArg(2));
    }

    /** {@code PyArg_ParseTuple(args, format, p1)}: 1 on success, 0 with the exception set. */
    static int PyArg_ParseTuple(long args, long format, long p1) {
        try {
            return (int) ParseTuple1.MH.invokeExact(F.PyArg_ParseTuple.a(), args, format, p1);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code PyArg_ParseTuple(args, format, p1, p2)}. */
    static int PyArg_ParseTuple(long args, long format, long p1, long p2) {
        try {
            return (int) ParseTuple2.MH.invokeExact(F.PyArg_ParseTuple.a(), args, format, p1, p2);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static void PyEval_RestoreThread(long ts) {
        try {
            long unused = call(F.PyEval_RestoreThread.a(), ts);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Borrowed reference to sys.modules[name], created if absent. */
    static long PyImport_AddModule(long name) {
        try {
            return call(F.PyImport_AddModule.a(), name);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Borrowed reference. */
    static long PyModule_GetDict(long module) {
        try {
            return call(F.PyModule_GetDict.a(), module);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static long PyEval_EvalCode(long code, long globals, long locals) {
        try {
            return call(F.PyEval_EvalCode.a(), code, globals, locals);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Borrowed reference, or 0 (no exception) when absent. */
    static long PyDict_GetItemString(long d, long key) {
        try {
            return call(F.PyDict_GetItemString.a(), d, key);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int PyDict_DelItemString(long d, long key) {
        try {
            return (int) call(F.PyDict_DelItemString.a(), d, key);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static long PyBytes_FromStringAndSize(long s, long n) {
        try {
            return call(F.PyBytes_FromStringAndSize.a(), s, n);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** PyFloat_FromDouble takes its argument in a floating-point register: its own downcall. */
    private static final class FromDouble {
        static final MethodHandle MH = LINKER.downcallHandle(FunctionDescriptor.of(JAVA_LONG,
                java.lang.foreign.ValueLayout.JAVA_DOUBLE));
    }

    static long PyFloat_FromDouble(double v) {
        try {
            return (long) FromDouble.MH.invokeExact(F.PyFloat_FromDouble.a(), v);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Print the pending exception to sys.stderr (never call it with SystemExit pending: it exits). */
    static void PyErr_Print() {
        try {
            long unused = call(F.PyErr_Print.a());
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int PyErr_ExceptionMatches(long exc) {
        try {
            return (int) call(F.PyErr_ExceptionMatches.a(), exc);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static long PyDict_New() {
        try {
            return call(F.PyDict_New.a());
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }
}
