package dev.jnbdkit.python;

import dev.jnbdkit.log.Log;
import dev.jnbdkit.spi.PluginException;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The embedded CPython: one per process, started on first use and never finalized.
 *
 * <p>Start-up: find the interpreter ({@link Interpreter}), {@code dlopen} its libpython with
 * {@code RTLD_GLOBAL}, {@code Py_SetProgramName} to that interpreter (so {@code sys.prefix} and
 * site-packages are its own), {@code Py_InitializeEx(0)} (the JVM keeps its signal handlers),
 * install the {@code nbdkit} module and the buffer exporter type, then release the GIL with
 * {@code PyEval_SaveThread}. Afterwards every call from Java runs between
 * {@code PyGILState_Ensure} and {@code PyGILState_Release} on the calling platform thread.
 *
 * <p>We do not call {@code Py_FinalizeEx} at unload: it waits for every non-daemon Python thread a
 * script started and can hang the server's exit. {@link #shutdown} runs the {@code atexit}
 * handlers and flushes {@code sys.stdout}/{@code sys.stderr} instead.
 */
final class PythonRuntime {
    private static volatile PythonRuntime instance;

    final Interpreter interpreter;
    /** Python objects we keep for the life of the process (strong references). */
    final long none, runtimeError, valueError, typeError, systemExit, unicodeType;
    private long formatException;   // traceback.format_exception, looked up on first error
    final BufferExporter exporter;

    private PythonRuntime(Interpreter interpreter) {
        this.interpreter = interpreter;
        long t0 = System.nanoTime();
        Py.load(interpreter.libpython());
        long t1 = System.nanoTime();
        setProgramName(interpreter.executable());
        Py.Py_InitializeEx(0);
        long t2 = System.nanoTime();
        none = Py.symbol("_Py_NoneStruct");
        runtimeError = Py.objectVar("PyExc_RuntimeError");
        valueError = Py.objectVar("PyExc_ValueError");
        typeError = Py.objectVar("PyExc_TypeError");
        systemExit = Py.objectVar("PyExc_SystemExit");
        unicodeType = Py.symbol("PyUnicode_Type");
        long ta = System.nanoTime();
        extendSysPath(interpreter.path());
        long tb = System.nanoTime();
        NbdkitModule.install(this);
        long tc = System.nanoTime();
        exporter = new BufferExporter(this);
        long td = System.nanoTime();
        Gil.adoptMainThread();
        Py.PyEval_SaveThread();
        Log.debug("python: symbols " + (ta - t2) / 1000 + " µs, sys.path " + (tb - ta) / 1000 + " µs, module "
                + (tc - tb) / 1000 + " µs, buffer type " + (td - tc) / 1000 + " µs");
        long t3 = System.nanoTime();
        Log.debug("python: using " + interpreter.executable() + " (Python " + interpreter.version()
                + "), libpython " + interpreter.libpython());
        Log.debug("python: dlopen " + (t1 - t0) / 1000 + " µs, Py_InitializeEx " + (t2 - t1) / 1000
                + " µs, nbdkit module and buffer type " + (t3 - t2) / 1000 + " µs");
    }

    /** The running interpreter, started on first call. */
    static PythonRuntime get() {
        PythonRuntime r = instance;
        if (r == null) {
            synchronized (PythonRuntime.class) {
                r = instance;
                if (r == null) {
                    if (Thread.currentThread().isVirtual()) {
                        Log.debug("python: initialising from a virtual thread");
                    }
                    Py.prelinkAsync();
                    r = instance = new PythonRuntime(Interpreter.discover());
                }
            }
        }
        return r;
    }

    static PythonRuntime getIfStarted() { return instance; }

    // ---------------------------------------------------------------------------------------------

    private static void setProgramName(String executable) {
        if (Py.has("Py_SetProgramName")) {
            // wchar_t is UTF-32 (native order) on Linux; the string must outlive the interpreter.
            byte[] utf32 = (executable + "\0").getBytes(java.nio.ByteOrder.nativeOrder() == java.nio.ByteOrder.LITTLE_ENDIAN
                    ? java.nio.charset.Charset.forName("UTF-32LE") : java.nio.charset.Charset.forName("UTF-32BE"));
            MemorySegment w = Arena.global().allocate(utf32.length, 4);
            w.copyFrom(MemorySegment.ofArray(utf32));
            Py.Py_SetProgramName(w.address());
        }
        // Without Py_SetProgramName (a future Python) the build-time prefix is used; the
        // interpreter's sys.path is still added below, so its packages import.
    }

    /** Add the interpreter's sys.path entries the embedded one lacks (a virtualenv's site-packages...). */
    private void extendSysPath(List<String> wanted) {
        long sysPath = Py.PySys_GetObject(cstr("path"));
        if (sysPath == 0) return;
        Set<String> have = new HashSet<>();
        long n = Py.PyList_Size(sysPath);
        for (long i = 0; i < n; i++) have.add(toJavaString(Py.PyList_GetItem(sysPath, i)));
        for (String p : wanted) {
            if (p.isEmpty() || have.contains(p)) continue;
            long s = newString(p);
            Py.PyList_Append(sysPath, s);
            Py.Py_DecRef(s);
            Log.debug("python: added " + p + " to sys.path");
        }
        Py.PyErr_Clear();
    }

    // ---------------------------------------------------------------------------------------------
    // Small conversions (GIL held)

    private static final java.util.concurrent.ConcurrentHashMap<String, Long> CSTRINGS =
            new java.util.concurrent.ConcurrentHashMap<>();

    /** A NUL-terminated UTF-8 copy of a constant string, made once and kept forever. */
    static long cstr(String s) {
        return CSTRINGS.computeIfAbsent(s, k -> Arena.global().allocateFrom(k).address());
    }

    static long newString(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment m = a.allocate(b.length + 1L);
            m.copyFrom(MemorySegment.ofArray(b));
            return Py.PyUnicode_FromStringAndSize(m.address(), b.length);
        }
    }

    /** The text of a Python str (null if it is not one; a Python error is then set). */
    static String toJavaString(long str) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment size = a.allocate(JAVA_LONG);
            long p = Py.PyUnicode_AsUTF8AndSize(str, size.address());
            if (p == 0) return null;
            long n = size.get(JAVA_LONG, 0);
            byte[] b = new byte[(int) n];
            MemorySegment.copy(Py.MEM, JAVA_BYTE_LAYOUT, p, b, 0, (int) n);
            return new String(b, StandardCharsets.UTF_8);
        }
    }

    private static final java.lang.foreign.ValueLayout.OfByte JAVA_BYTE_LAYOUT = java.lang.foreign.ValueLayout.JAVA_BYTE;

    /** str(obj), never null. */
    static String str(long obj) {
        long s = Py.PyObject_Str(obj);
        if (s == 0) {
            Py.PyErr_Clear();
            return "<unprintable object>";
        }
        String r = toJavaString(s);
        Py.Py_DecRef(s);
        if (r == null) {
            Py.PyErr_Clear();
            return "<unprintable object>";
        }
        return r;
    }

    /** repr(obj), shortened, for error messages. */
    static String repr(long obj) {
        long s = Py.PyObject_Repr(obj);
        if (s == 0) {
            Py.PyErr_Clear();
            return "<object>";
        }
        String r = toJavaString(s);
        Py.Py_DecRef(s);
        if (r == null) {
            Py.PyErr_Clear();
            return "<object>";
        }
        return r.length() > 80 ? r.substring(0, 77) + "..." : r;
    }

    boolean isStr(long obj) {
        int r = Py.PyObject_IsInstance(obj, unicodeType);
        if (r < 0) Py.PyErr_Clear();
        return r == 1;
    }

    long newNone() {
        Py.Py_IncRef(none);
        return none;
    }

    /** Raise {@code exc} with {@code message} in Python. */
    static void raise(long exc, String message) {
        try (Arena a = Arena.ofConfined()) {
            Py.PyErr_SetString(exc, a.allocateFrom(message).address());
        }
    }

    /**
     * Fetch and clear the pending Python exception and format it as nbdkit does: the lines of
     * {@code traceback.format_exception} joined by a space, without the final newline. Returns
     * {@code fallback} if no exception is pending.
     */
    String fetchError(String fallback) {
        if (Py.PyErr_Occurred() == 0) return fallback;
        long type, value, tb;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(JAVA_LONG, 3);
            Py.PyErr_Fetch(p.address(), p.address() + 8, p.address() + 16);
            Py.PyErr_NormalizeException(p.address(), p.address() + 8, p.address() + 16);
            type = p.getAtIndex(JAVA_LONG, 0);
            value = p.getAtIndex(JAVA_LONG, 1);
            tb = p.getAtIndex(JAVA_LONG, 2);
        }
        String text = null;
        try {
            if (formatException == 0) {
                long mod = Py.PyImport_ImportModule(cstr("traceback"));
                if (mod != 0) {
                    formatException = Py.PyObject_GetAttrString(mod, cstr("format_exception"));
                    Py.Py_DecRef(mod);
                }
                Py.PyErr_Clear();
            }
            if (formatException != 0 && type != 0) {
                long args = Py.PyTuple_New(3);
                long[] items = {type, value == 0 ? none : value, tb == 0 ? none : tb};
                for (int i = 0; i < 3; i++) {
                    Py.Py_IncRef(items[i]);
                    Py.PyTuple_SetItem(args, i, items[i]);
                }
                long lines = Py.PyObject_CallObject(formatException, args);
                Py.Py_DecRef(args);
                if (lines != 0) {
                    StringBuilder sb = new StringBuilder();
                    long n = Py.PyList_Size(lines);
                    for (long i = 0; i < n; i++) {
                        if (i > 0) sb.append(' ');
                        String line = toJavaString(Py.PyList_GetItem(lines, i));
                        if (line != null) sb.append(line);
                    }
                    Py.Py_DecRef(lines);
                    text = sb.toString();
                }
                Py.PyErr_Clear();
            }
            if (text == null) text = value != 0 ? str(value) : type != 0 ? str(type) : fallback;
        } finally {
            Py.Py_DecRef(type);
            Py.Py_DecRef(value);
            Py.Py_DecRef(tb);
        }
        while (text.endsWith("\n")) text = text.substring(0, text.length() - 1);
        return text;
    }

    /** With SystemExit pending: the exit status it asks for, as Python's own exit computes it; clears it. */
    int systemExitStatus() {
        long value;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(JAVA_LONG, 3);
            Py.PyErr_Fetch(p.address(), p.address() + 8, p.address() + 16);
            Py.PyErr_NormalizeException(p.address(), p.address() + 8, p.address() + 16);
            Py.Py_DecRef(p.getAtIndex(JAVA_LONG, 0));
            Py.Py_DecRef(p.getAtIndex(JAVA_LONG, 2));
            value = p.getAtIndex(JAVA_LONG, 1);
        }
        long r = callHelper("system_exit_status", value == 0 ? none : value);
        Py.Py_DecRef(value);
        long code = r == 0 ? 1 : Py.PyLong_AsLongLong(r);
        Py.Py_DecRef(r);
        Py.PyErr_Clear();
        return (int) code;
    }

    /** The last line of a formatted traceback: {@code RuntimeError: boom}. */
    static String lastLine(String traceback) {
        String t = traceback.strip();
        int nl = t.lastIndexOf('\n');
        return nl < 0 ? t : t.substring(nl + 1).strip();
    }

    // ---------------------------------------------------------------------------------------------
    // Helpers written in Python (compiled on first use)

    private static final String HELPERS = String.join("\n",
            "import io, sys",
            "def capture_stdout(fn):",
            "    old = sys.stdout",
            "    sys.stdout = out = io.StringIO()",
            "    try:",
            "        fn()",
            "    finally:",
            "        sys.stdout = old",
            "    return out.getvalue()",
            "def system_exit_status(e):",
            "    code = getattr(e, 'code', None)",
            "    if code is None:",
            "        return 0",
            "    if isinstance(code, int):",
            "        return code",
            "    print(code, file=sys.stderr)",
            "    return 1",
            "");
    private long helpers;

    /** Call helper {@code name(arg)} (arg borrowed); new reference or 0 with the error pending. */
    long callHelper(String name, long arg) {
        if (helpers == 0) {
            long code = Py.Py_CompileString(cstr(HELPERS), cstr("<jnbdkit>"), Py.Py_file_input);
            if (code == 0) return 0;
            helpers = Py.PyImport_ExecCodeModuleEx(cstr("_jnbdkit"), code, cstr("<jnbdkit>"));
            Py.Py_DecRef(code);
            if (helpers == 0) return 0;
        }
        long fn = Py.PyObject_GetAttrString(helpers, cstr(name));
        if (fn == 0) return 0;
        Py.Py_IncRef(arg);
        long r = PythonPlugin.call(fn, arg);
        Py.Py_DecRef(fn);
        return r;
    }

    // ---------------------------------------------------------------------------------------------

    /** Flush Python's sys.stdout and sys.stderr (GIL must be held). */
    void flushStdio() {
        for (String name : new String[] {"stdout", "stderr"}) {
            long f = Py.PySys_GetObject(cstr(name));
            if (f == 0 || f == none) continue;
            long flush = Py.PyObject_GetAttrString(f, cstr("flush"));
            if (flush != 0) {
                Py.Py_DecRef(Py.PyObject_CallObject(flush, 0));
                Py.Py_DecRef(flush);
            }
            Py.PyErr_Clear();
        }
    }

    /** Process exit: run atexit handlers and flush; no Py_FinalizeEx (see class comment). */
    void shutdown() {
        try (Gil.Held g = Gil.hold()) {
            long atexit = Py.PyImport_ImportModule(cstr("atexit"));
            if (atexit != 0) {
                long run = Py.PyObject_GetAttrString(atexit, cstr("_run_exitfuncs"));
                if (run != 0) {
                    Py.Py_DecRef(Py.PyObject_CallObject(run, 0));
                    Py.Py_DecRef(run);
                }
                Py.Py_DecRef(atexit);
            }
            Py.PyErr_Clear();
            flushStdio();
        }
    }
}
