package dev.jnbdkit.python;

import dev.jnbdkit.spi.Nbdkit;
import dev.jnbdkit.spi.PluginException;
import dev.jnbdkit.spi.Sizes;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The {@code nbdkit} Python module, built from Java: one {@code PyMethodDef} per function whose
 * {@code ml_meth} is an FFM upcall stub, and nbdkit's constants. It is put in
 * {@code sys.modules} before the script is imported, so {@code import nbdkit} finds it.
 *
 * <p>Every upcall catches everything: a Java exception escaping into C would kill the JVM. A
 * failure becomes a Python exception and the function returns NULL.
 */
final class NbdkitModule {
    private NbdkitModule() {}

    private static PythonRuntime rt;

    /** What a Python callback may ask about the request it serves; one per platform thread. */
    static final class CallState {
        /** Set by nbdkit.set_error during the current callback; 0 if not called. */
        int errno;
        /** The export name of the connection whose callback runs on this thread, or null. */
        String exportName;
        /** This thread's persistent PyThreadState (see {@link Gil}), 0 before its first call. */
        long threadState;
    }

    static final ThreadLocal<CallState> STATE = ThreadLocal.withInitial(CallState::new);

    /** Name, (unused) Java name, docstring; the index is the dispatch number. */
    private static final String[][] FUNCTIONS = {
            {"debug", "debug", "debug(msg): send a debug message (shown with -v)"},
            {"export_name", "exportName", "export_name(): the export name the client asked for"},
            {"set_error", "setError", "set_error(err): the errno to report for the exception about to be raised"},
            {"parse_size", "parseSize", "parse_size(str): parse a size such as '100M' into bytes"},
            {"shutdown", "shutdown", "shutdown(): ask the server to shut down"},
            {"disconnect", "disconnect", "disconnect(force): drop the current client connection"},
    };

    private static final Object[][] CONSTANTS = {
            {"THREAD_MODEL_SERIALIZE_CONNECTIONS", 0}, {"THREAD_MODEL_SERIALIZE_ALL_REQUESTS", 1},
            {"THREAD_MODEL_SERIALIZE_REQUESTS", 2}, {"THREAD_MODEL_PARALLEL", 3},
            {"FLAG_MAY_TRIM", 1}, {"FLAG_FUA", 2}, {"FLAG_REQ_ONE", 4}, {"FLAG_FAST_ZERO", 8},
            {"FUA_NONE", 0}, {"FUA_EMULATE", 1}, {"FUA_NATIVE", 2},
            {"CACHE_NONE", 0}, {"CACHE_EMULATE", 1}, {"CACHE_NATIVE", 2},
            {"EXTENT_HOLE", 1}, {"EXTENT_ZERO", 2},
    };

    /** Build the module and register it as sys.modules['nbdkit'] (GIL held). */
    static void install(PythonRuntime runtime) {
        rt = runtime;
        long module = Py.PyModule_New(PythonRuntime.cstr("nbdkit"));
        if (module == 0) throw new PluginException("python: cannot create the nbdkit module: " + rt.fetchError("?"));
        Arena global = Arena.global();
        // One upcall stub serves every function (stubs are costly to make at start-up): each
        // function's m_self is a distinct int object, and dispatch() tells them apart by address.
        MemorySegment stub = Stub.DISPATCH;
        MemorySegment defs = global.allocate(32L * FUNCTIONS.length, 8);
        for (int i = 0; i < FUNCTIONS.length; i++) {
            MemorySegment def = defs.asSlice(32L * i, 32);
            long name = PythonRuntime.cstr(FUNCTIONS[i][0]);
            def.set(JAVA_LONG, 0, name);
            def.set(JAVA_LONG, 8, stub.address());
            def.set(JAVA_INT, 16, Py.METH_VARARGS);
            def.set(JAVA_LONG, 24, PythonRuntime.cstr(FUNCTIONS[i][2]));
            long self = Py.PyLong_FromLongLong(1000 + i);   // kept forever: never freed, never reused
            SELVES[i] = self;
            long fn = Py.PyCFunction_NewEx(def.address(), self, 0);
            Py.PyObject_SetAttrString(module, name, fn);
            Py.Py_DecRef(fn);
        }
        for (Object[] c : CONSTANTS) {
            Py.PyModule_AddIntConstant(module, PythonRuntime.cstr((String) c[0]), (Integer) c[1]);
        }
        long modules = Py.PySys_GetObject(PythonRuntime.cstr("modules"));
        Py.PyDict_SetItemString(modules, PythonRuntime.cstr("nbdkit"), module);
        Py.Py_DecRef(module);
    }

    /** The upcall stub, made on first use (or ahead of it by {@link Py#prelinkAsync}). */
    static final class Stub {
        static final MemorySegment DISPATCH;

        static {
            try {
                DISPATCH = Py.upcall(MethodHandles.lookup().findStatic(NbdkitModule.class, "dispatch",
                                MethodType.methodType(long.class, long.class, long.class)),
                        FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG));
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
        }

        static void init() {}
    }

    private static final long[] SELVES = new long[FUNCTIONS.length];

    /** The single upcall: {@code PyObject *f(PyObject *self, PyObject *args)}. Never throws. */
    static long dispatch(long self, long args) {
        try {
            if (self == SELVES[0]) return debug(self, args);
            if (self == SELVES[1]) return exportName(self, args);
            if (self == SELVES[2]) return setError(self, args);
            if (self == SELVES[3]) return parseSize(self, args);
            if (self == SELVES[4]) return shutdown(self, args);
            if (self == SELVES[5]) return disconnect(self, args);
            PythonRuntime.raise(rt.runtimeError, "jnbdkit: unknown nbdkit function");
            return 0;
        } catch (Throwable t) {
            return fail(t);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // The functions. (self, args) -> new reference, or 0 with a Python exception set.

    private static boolean argc(long args, String fn, int expected) {
        long n = Py.PySequence_Size(args);
        if (n == expected) return true;
        PythonRuntime.raise(rt.typeError, fn + "() takes " + (expected == 0 ? "no arguments" : "exactly "
                + expected + " argument" + (expected == 1 ? "" : "s")) + " (" + n + " given)");
        return false;
    }

    private static long fail(Throwable t) {
        try {
            PythonRuntime.raise(rt.runtimeError, "jnbdkit: " + t);
        } catch (Throwable ignored) {
            // Nothing more can be done without risking the process.
        }
        return 0;
    }

    static long debug(long self, long args) {
        try {
            if (!argc(args, "debug", 1)) return 0;
            long o = Py.PySequence_GetItem(args, 0);
            String msg = PythonRuntime.str(o);
            Py.Py_DecRef(o);
            Nbdkit.debug(msg);
            return rt.newNone();
        } catch (Throwable t) {
            return fail(t);
        }
    }

    static long exportName(long self, long args) {
        try {
            if (!argc(args, "export_name", 0)) return 0;
            String name = STATE.get().exportName;
            if (name == null) name = Nbdkit.exportName();
            if (name == null) {
                PythonRuntime.raise(rt.runtimeError, "export_name: not called from a connection");
                return 0;
            }
            return PythonRuntime.newString(name);
        } catch (Throwable t) {
            return fail(t);
        }
    }

    static long setError(long self, long args) {
        try {
            if (!argc(args, "set_error", 1)) return 0;
            long o = Py.PySequence_GetItem(args, 0);
            long v = Py.PyLong_AsLongLong(o);
            Py.Py_DecRef(o);
            if (v == -1 && Py.PyErr_Occurred() != 0) return 0;
            STATE.get().errno = (int) v;
            return rt.newNone();
        } catch (Throwable t) {
            return fail(t);
        }
    }

    static long parseSize(long self, long args) {
        try {
            if (!argc(args, "parse_size", 1)) return 0;
            long o = Py.PySequence_GetItem(args, 0);
            if (!rt.isStr(o)) {
                Py.Py_DecRef(o);
                PythonRuntime.raise(rt.typeError, "parse_size: expecting a string");
                return 0;
            }
            String s = PythonRuntime.toJavaString(o);
            Py.Py_DecRef(o);
            if (s == null) return 0;
            try {
                return Py.PyLong_FromLongLong(Sizes.parse(s));
            } catch (PluginException e) {
                PythonRuntime.raise(rt.valueError, "Unable to parse string as size: " + e.getMessage());
                return 0;
            }
        } catch (Throwable t) {
            return fail(t);
        }
    }

    static long shutdown(long self, long args) {
        try {
            if (!argc(args, "shutdown", 0)) return 0;
            Nbdkit.shutdown();
            return rt.newNone();
        } catch (Throwable t) {
            return fail(t);
        }
    }

    static long disconnect(long self, long args) {
        try {
            if (!argc(args, "disconnect", 1)) return 0;
            long o = Py.PySequence_GetItem(args, 0);
            int force = Py.PyObject_IsTrue(o);
            Py.Py_DecRef(o);
            if (force < 0) return 0;
            Nbdkit.disconnect(force != 0);
            return rt.newNone();
        } catch (Throwable t) {
            return fail(t);
        }
    }
}
