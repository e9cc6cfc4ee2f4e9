package dev.jnbdkit.python;

import dev.jnbdkit.log.Log;
import dev.jnbdkit.spi.Nbdkit;
import dev.jnbdkit.spi.Passwords;
import dev.jnbdkit.spi.PluginException;
import dev.jnbdkit.spi.Sizes;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The {@code nbdkit} Python module of nbdkit 1.44, built from Java: one {@code PyMethodDef} per
 * function whose {@code ml_meth} is an FFM upcall stub, and nbdkit's constants. It is put in
 * {@code sys.modules} before the script is imported, so {@code import nbdkit} finds it.
 *
 * <p>Arguments are checked as nbdkit checks them: functions without arguments are
 * {@code METH_NOARGS} (CPython refuses extra arguments itself), the others call
 * {@code PyArg_ParseTuple} with nbdkit's format, so a wrong type raises the very exception, with
 * the very message, that it raises under nbdkit ({@code debug(b'x')}: {@code TypeError: debug()
 * argument 1 must be str, not bytes}). A server call that fails logs nbdkit's error line and
 * raises what nbdkit raises ({@code RuntimeError: nbdkit.peer_pid failed}).
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
        /** Where PyArg_ParseTuple stores what it parsed (two 8-byte slots), made on first use. */
        private MemorySegment out;

        MemorySegment out() {
            if (out == null) out = Arena.ofAuto().allocate(16, 8);
            return out;
        }
    }

    static final ThreadLocal<CallState> STATE = ThreadLocal.withInitial(CallState::new);

    /** The functions; the ordinal is the dispatch number. */
    private enum Fn {
        debug(true, "debug(msg): send a debug message (shown with -v)"),
        disconnect(true, "disconnect(force): drop the current client connection"),
        export_name(false, "export_name(): the export name the client asked for"),
        is_tls(false, "is_tls(): whether the client completed TLS authentication"),
        nanosleep(true, "nanosleep(secs, nsecs): sleep"),
        parse_delay(true, "parse_delay(what, str): parse a delay such as '10ms' into (secs, nsecs)"),
        parse_probability(true, "parse_probability(what, str): parse a probability such as '10%' into a float"),
        parse_size(true, "parse_size(str): parse a size such as '100M' into bytes"),
        peer_gid(false, "peer_gid(): the client's group ID (Unix domain sockets only)"),
        peer_pid(false, "peer_pid(): the client's process ID (Unix domain sockets only)"),
        peer_security_context(false, "peer_security_context(): the client's security label"),
        peer_tls_dn(false, "peer_tls_dn(): the Distinguished Name of the client's TLS certificate"),
        peer_tls_issuer_dn(false, "peer_tls_issuer_dn(): the Distinguished Name of its issuer"),
        peer_uid(false, "peer_uid(): the client's user ID (Unix domain sockets only)"),
        read_password(true, "read_password(value): read a password (literal, -, -FD or +FILE) as bytes"),
        set_error(true, "set_error(err): the errno to report for the exception about to be raised"),
        shutdown(false, "shutdown(): ask the server to shut down"),
        stdio_safe(false, "stdio_safe(): whether stdin and stdout may be used during configuration");

        final boolean takesArgs;
        final String doc;

        Fn(boolean takesArgs, String doc) {
            this.takesArgs = takesArgs;
            this.doc = doc;
        }
    }

    private static final Fn[] FNS = Fn.values();

    private static final Object[][] CONSTANTS = {
            {"THREAD_MODEL_SERIALIZE_CONNECTIONS", 0}, {"THREAD_MODEL_SERIALIZE_ALL_REQUESTS", 1},
            {"THREAD_MODEL_SERIALIZE_REQUESTS", 2}, {"THREAD_MODEL_PARALLEL", 3},
            {"FLAG_MAY_TRIM", 1}, {"FLAG_FUA", 2}, {"FLAG_REQ_ONE", 4}, {"FLAG_FAST_ZERO", 8},
            {"FUA_NONE", 0}, {"FUA_EMULATE", 1}, {"FUA_NATIVE", 2},
            {"CACHE_NONE", 0}, {"CACHE_EMULATE", 1}, {"CACHE_NATIVE", 2},
            {"EXTENT_HOLE", 1}, {"EXTENT_ZERO", 2},
    };

    /** m_self of each function: tells the one upcall which function was called. */
    private static final long[] SELVES = new long[FNS.length];

    /** Build the module and register it as sys.modules['nbdkit'] (GIL held). */
    static void install(PythonRuntime runtime) {
        rt = runtime;
        long name = PythonRuntime.cstr("nbdkit");
        long module = Py.PyModule_New(name);
        if (module == 0) throw new PluginException("python: cannot create the nbdkit module: " + rt.fetchError("?"));
        long doc = PythonRuntime.newString("The nbdkit server API (jnbdkit)");
        Py.PyObject_SetAttrString(module, PythonRuntime.cstr("__doc__"), doc);
        Py.Py_DecRef(doc);
        long moduleName = PythonRuntime.newString("nbdkit");
        Arena global = Arena.global();
        // One upcall stub serves every function (stubs are costly to make at start-up). Each
        // function's m_self is a distinct, empty module object named nbdkit, which dispatch()
        // tells apart by address; being a module, CPython names the function as it names
        // nbdkit's (nbdkit.export_name() in messages, "<built-in function debug>" in its repr).
        MemorySegment stub = Stub.DISPATCH;
        MemorySegment defs = global.allocate(32L * FNS.length, 8);
        for (Fn f : FNS) {
            MemorySegment def = defs.asSlice(32L * f.ordinal(), 32);
            long fname = PythonRuntime.cstr(f.name());
            def.set(JAVA_LONG, 0, fname);
            def.set(JAVA_LONG, 8, stub.address());
            def.set(JAVA_INT, 16, f.takesArgs ? Py.METH_VARARGS : Py.METH_NOARGS);
            def.set(JAVA_LONG, 24, PythonRuntime.cstr(f.doc));
            long self = Py.PyModule_New(name);   // kept forever: never freed, never reused
            SELVES[f.ordinal()] = self;
            long fn = Py.PyCFunction_NewEx(def.address(), self, moduleName);
            Py.PyObject_SetAttrString(module, fname, fn);
            Py.Py_DecRef(fn);
        }
        for (Object[] c : CONSTANTS) {
            Py.PyModule_AddIntConstant(module, PythonRuntime.cstr((String) c[0]), (Integer) c[1]);
        }
        long modules = Py.PySys_GetObject(PythonRuntime.cstr("modules"));
        Py.PyDict_SetItemString(modules, name, module);
        Py.Py_DecRef(module);
    }

    /** The upcall stub, made on first use (or ahead of it by {@link Py#prelinkAsync}). */
    static final class Stub {
        static final MemorySegment DISPATCH;

        static {
            try {
                DISPATCH = Py.upcall(MethodHandles.lookup().findStatic(NbdkitModule.class, "dispatch", Py.UPCALL_TYPE));
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
        }

        static void init() {}
    }

    /** The single upcall: {@code PyObject *f(PyObject *self, PyObject *args)}. Never throws. */
    static long dispatch(long self, long args, long unusedRegister) {
        try {
            for (int i = 0; i < SELVES.length; i++) {
                if (SELVES[i] == self) return call(FNS[i], args);
            }
            PythonRuntime.raise(rt.runtimeError, "jnbdkit: unknown nbdkit function");
            return 0;
        } catch (Throwable t) {
            return fail(t);
        }
    }

    private static long call(Fn f, long args) {
        return switch (f) {
            case debug -> debug(args);
            case disconnect -> disconnect(args);
            case export_name -> exportName();
            case is_tls -> isTls();
            case nanosleep -> nanosleep(args);
            case parse_delay -> parseDelay(args);
            case parse_probability -> parseProbability(args);
            case parse_size -> parseSize(args);
            case peer_pid -> peerId(f, c -> c.pid());
            case peer_uid -> peerId(f, c -> c.uid());
            case peer_gid -> peerId(f, c -> c.gid());
            case peer_security_context -> connectionString(f, Nbdkit::peerSecurityContext);
            case peer_tls_dn -> connectionString(f, Nbdkit::peerTlsDn);
            case peer_tls_issuer_dn -> connectionString(f, Nbdkit::peerTlsIssuerDn);
            case read_password -> readPassword(args);
            case set_error -> setError(args);
            case shutdown -> shutdown();
            case stdio_safe -> Py.PyBool_FromLong(Nbdkit.stdioSafe() ? 1 : 0);
        };
    }

    private static long fail(Throwable t) {
        try {
            PythonRuntime.raise(rt.runtimeError, "jnbdkit: " + t);
        } catch (Throwable ignored) {
            // Nothing more can be done without risking the process.
        }
        return 0;
    }

    /** A server call failed: nbdkit logs its error, then the binding raises RuntimeError. */
    private static long failed(Fn f, PluginException e) {
        if (e.getMessage() != null) Log.error(e.getMessage());
        PythonRuntime.raise(rt.runtimeError, "nbdkit." + f.name() + " failed");
        return 0;
    }

    // ---------------------------------------------------------------------------------------------
    // Argument parsing: PyArg_ParseTuple with nbdkit's formats, results read from the thread's slots.

    private static MemorySegment parse(long args, String format) {
        MemorySegment out = STATE.get().out();
        out.fill((byte) 0);
        if (Py.PyArg_ParseTuple(args, PythonRuntime.cstr(format), out.address()) == 0) return null;
        return out;
    }

    private static MemorySegment parse2(long args, String format) {
        MemorySegment out = STATE.get().out();
        out.fill((byte) 0);
        if (Py.PyArg_ParseTuple(args, PythonRuntime.cstr(format), out.address(), out.address() + 8) == 0) return null;
        return out;
    }

    /** The C string PyArg_ParseTuple's "s" stored in slot {@code i} (UTF-8, owned by the str). */
    private static String string(MemorySegment out, int i) {
        return Py.cString(out.get(JAVA_LONG, 8L * i));
    }

    // ---------------------------------------------------------------------------------------------
    // The functions: a new reference, or 0 with a Python exception set.

    private static long debug(long args) {
        MemorySegment out = parse(args, "s:debug");
        if (out == null) return 0;
        Nbdkit.debug(string(out, 0));
        return rt.newNone();
    }

    private static long disconnect(long args) {
        MemorySegment out = parse(args, "p:disconnect");
        if (out == null) return 0;
        Nbdkit.disconnect(out.get(JAVA_INT, 0) != 0);
        return rt.newNone();
    }

    private static long exportName() {
        String name = STATE.get().exportName;
        if (name == null) name = Nbdkit.exportName();
        if (name == null) return failed(Fn.export_name, new PluginException("no connection in this thread"));
        return PythonRuntime.newString(name);
    }

    private static long isTls() {
        try {
            Nbdkit.ConnectionInfo c = Nbdkit.connection();
            return Py.PyBool_FromLong(c.isTls() ? 1 : 0);
        } catch (PluginException e) {
            return failed(Fn.is_tls, e);
        }
    }

    /** nbdkit_nanosleep with the GIL released, so that other Python threads run meanwhile. */
    private static long nanosleep(long args) {
        MemorySegment out = parse2(args, "II:nanosleep");
        if (out == null) return 0;
        long secs = Integer.toUnsignedLong(out.get(JAVA_INT, 0));
        long nsecs = Integer.toUnsignedLong(out.get(JAVA_INT, 8));
        if (secs > Integer.MAX_VALUE) {
            return failed(Fn.nanosleep, new PluginException("nanosleep: cannot sleep more than " + Integer.MAX_VALUE + " seconds"));
        }
        if (nsecs >= 1_000_000_000L) {
            return failed(Fn.nanosleep, new PluginException("nanosleep: Invalid argument"));
        }
        long ts = Py.PyEval_SaveThread();
        boolean interrupted = false;
        try {
            Thread.sleep(java.time.Duration.ofSeconds(secs, nsecs));
        } catch (InterruptedException e) {
            interrupted = true;
        } finally {
            Py.PyEval_RestoreThread(ts);
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
            return failed(Fn.nanosleep, new PluginException("aborting sleep to shut down"));
        }
        return rt.newNone();
    }

    private static long parseDelay(long args) {
        MemorySegment out = parse2(args, "ss:parse_delay");
        if (out == null) return 0;
        long[] d;
        try {
            d = ConfigValues.parseDelay(string(out, 0), string(out, 1));
        } catch (PluginException e) {
            Log.error(e.getMessage());
            PythonRuntime.raise(rt.valueError, "Unable to parse string as delay");
            return 0;
        }
        long tuple = Py.PyTuple_New(2);
        Py.PyTuple_SetItem(tuple, 0, Py.PyLong_FromLongLong(d[0]));
        Py.PyTuple_SetItem(tuple, 1, Py.PyLong_FromLongLong(d[1]));
        return tuple;
    }

    private static long parseProbability(long args) {
        MemorySegment out = parse2(args, "ss:parse_probability");
        if (out == null) return 0;
        try {
            return Py.PyFloat_FromDouble(ConfigValues.parseProbability(string(out, 0), string(out, 1)));
        } catch (PluginException e) {
            Log.error(e.getMessage());
            PythonRuntime.raise(rt.valueError, "Unable to parse string as probability");
            return 0;
        }
    }

    private static long parseSize(long args) {
        MemorySegment out = parse(args, "s:parse_size");
        if (out == null) return 0;
        try {
            return Py.PyLong_FromLongLong(Sizes.parse(string(out, 0)));
        } catch (PluginException e) {
            Log.error(e.getMessage());
            PythonRuntime.raise(rt.valueError, "Unable to parse string as size");
            return 0;
        }
    }

    private static long peerId(Fn f, java.util.function.ToLongFunction<Nbdkit.PeerCredentials> field) {
        try {
            return Py.PyLong_FromLongLong(field.applyAsLong(Nbdkit.peerCredentials()));
        } catch (PluginException e) {
            return failed(f, e);
        }
    }

    private static long connectionString(Fn f, java.util.function.Supplier<String> query) {
        try {
            return PythonRuntime.newString(query.get());
        } catch (PluginException e) {
            return failed(f, e);
        }
    }

    private static long readPassword(long args) {
        MemorySegment out = parse(args, "s:read_password");
        if (out == null) return 0;
        byte[] password;
        long ts = Py.PyEval_SaveThread();   // reading a terminal or a pipe may block
        try {
            password = Passwords.read(string(out, 0));
        } catch (PluginException e) {
            Py.PyEval_RestoreThread(ts);
            return failed(Fn.read_password, e);
        }
        Py.PyEval_RestoreThread(ts);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment m = a.allocate(Math.max(1, password.length));
            m.copyFrom(MemorySegment.ofArray(password));
            java.util.Arrays.fill(password, (byte) 0);
            long bytes = Py.PyBytes_FromStringAndSize(m.address(), password.length);
            m.fill((byte) 0);
            return bytes;
        }
    }

    private static long setError(long args) {
        MemorySegment out = parse(args, "i:set_error");
        if (out == null) return 0;
        STATE.get().errno = out.get(JAVA_INT, 0);
        return rt.newNone();
    }

    private static long shutdown() {
        Nbdkit.shutdown();
        return rt.newNone();
    }

}
