package dev.jnbdkit.python;

import dev.jnbdkit.log.Log;
import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.Export;
import dev.jnbdkit.spi.Handle;
import dev.jnbdkit.spi.OpenContext;
import dev.jnbdkit.spi.Plugin;
import dev.jnbdkit.spi.PluginException;
import dev.jnbdkit.spi.ThreadModel;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * nbdkit's python plugin on the JVM: runs an nbdkit Python plugin script, unchanged, on CPython
 * embedded in the server process (see {@link PythonRuntime}).
 *
 * <p>{@code jnbdkit python script.py key=value...}: the first bare argument is {@code script=};
 * later parameters go to the script's {@code config(key, value)}. The script's top-level functions
 * are the callbacks, with the signatures of its {@code API_VERSION} (1, the default, or 2).
 *
 * <p>Errors: a callback that raises fails with the errno the script gave {@code nbdkit.set_error}
 * (EIO if none). Failures of the start-up callbacks (config, config_complete, thread_model,
 * get_ready, after_fork) carry nbdkit's full error text in the {@link PluginException} message,
 * for the server to print as it exits; failures of connection-time callbacks are logged as nbdkit
 * logs them ({@code script.py: pread: error: Traceback ...}) and the exception has no message
 * (the server logs nothing more, the client hears only the errno) and a one-line
 * {@link PythonError} summary as its cause.
 */
public final class PythonPlugin implements Plugin {
    static final int MAX_API_VERSION = 2;

    private PythonRuntime rt;
    private String script;
    private long module;
    private int apiVersion = 1;

    public PythonPlugin() {}

    @Override public String name() { return "python"; }

    @Override public String longname() { return "nbdkit python plugin"; }

    /** None, as in nbdkit: the first bare argument is the script, any other bare word is an error. */
    @Override public String magicConfigKey() { return null; }

    @Override public String configHelp() {
        return "script=<FILENAME>     (required) The Python plugin to run.\n"
                + "[other arguments may be used by the plugin that you load]";
    }

    String script() { return script; }

    int apiVersion() { return apiVersion; }

    PythonRuntime runtime() { return rt; }

    long module() { return module; }

    // ---------------------------------------------------------------------------------------------
    // Global callbacks

    @Override
    public void dumpPlugin(PrintStream out) {
        Interpreter in = rt != null ? rt.interpreter : Interpreter.discover();
        out.println("python_version=" + in.version());
        out.println("python_pep_384_abi_version=3");
        out.println("nbdkit_python_maximum_api_version=" + MAX_API_VERSION);
        out.println("python_interpreter=" + in.executable());
        out.println("python_libpython=" + in.libpython());
        out.flush();
        if (module == 0) return;
        try (Gil.Held g = Gil.hold()) {
            long fn = function("dump_plugin");
            if (fn == 0) return;
            // Capture what the script prints so it lands on `out` after our lines, in order.
            long r = rt.callHelper("capture_stdout", fn);
            Py.Py_DecRef(fn);
            if (r == 0) throw startupFailure("dump_plugin");
            String text = PythonRuntime.toJavaString(r);
            Py.Py_DecRef(r);
            if (text != null) out.print(text);
            out.flush();
            rt.flushStdio();
        }
    }

    @Override
    public void config(String key, String value) {
        if (script == null) {
            if (!key.equals("script")) {
                throw new PluginException(Errno.EINVAL,
                        "the first parameter must be script=/path/to/python/script.py");
            }
            loadScript(value);
            return;
        }
        try (Gil.Held g = Gil.hold()) {
            long r = callNamed("config", PythonRuntime.newString(key), PythonRuntime.newString(value));
            if (r == ABSENT) {
                throw new PluginException(Errno.EINVAL,
                        script + ": this plugin does not need command line configuration");
            }
            if (r == 0) throw startupFailure("config");
            Py.Py_DecRef(r);
        }
    }

    @Override
    public void configComplete() {
        if (script == null) {
            throw new PluginException(Errno.EINVAL,
                    "the first parameter must be script=/path/to/python/script.py");
        }
        try (Gil.Held g = Gil.hold()) {
            for (String required : new String[] {"open", "get_size", "pread"}) {
                long fn = function(required);
                if (fn == 0) throw new PluginException(Errno.EINVAL, script + ": missing callback: " + required);
                Py.Py_DecRef(fn);
            }
        }
        callStartup("config_complete");
    }

    /** The script's thread_model() answer: like nbdkit, the script is asked once. */
    private volatile ThreadModel threadModel;

    @Override
    public ThreadModel threadModel() {
        ThreadModel t = threadModel;
        if (t == null) threadModel = t = askThreadModel();
        return t;
    }

    private ThreadModel askThreadModel() {
        if (module == 0) return ThreadModel.SERIALIZE_ALL_REQUESTS;
        try (Gil.Held g = Gil.hold()) {
            long r = callNamed("thread_model");
            if (r == ABSENT) return ThreadModel.SERIALIZE_ALL_REQUESTS;
            if (r == 0) throw startupFailure("thread_model");
            long v = Py.PyLong_AsLongLong(r);
            Py.Py_DecRef(r);
            if (v == -1 && Py.PyErr_Occurred() != 0) throw startupFailure("thread_model");
            if (v < 0 || v > 3) {
                throw new PluginException(Errno.EINVAL, script + ": thread_model: error: unknown thread model " + v);
            }
            return ThreadModel.fromValue((int) v);
        }
    }

    @Override public void getReady() { callStartup("get_ready"); }

    @Override public void afterFork() { callStartup("after_fork"); }

    @Override
    public void cleanup() {
        if (module == 0) return;
        try (Gil.Held g = Gil.hold()) {
            long r = callNamed("cleanup");
            if (r == ABSENT) return;
            if (r == 0) Log.error(script + ": cleanup: error: " + rt.fetchError("?"));
            Py.Py_DecRef(r);
            rt.flushStdio();
        }
    }

    @Override
    public void unload() {
        PythonRuntime r = PythonRuntime.getIfStarted();
        if (r != null && module != 0) r.shutdown();
    }

    @Override
    public void preconnect(boolean readonly) {
        if (module == 0) return;
        try (Gil.Held g = Gil.hold()) {
            long r = callNamed("preconnect", Py.PyBool_FromLong(readonly ? 1 : 0));
            if (r == ABSENT) return;
            if (r == 0) throw connectionFailure("preconnect");
            Py.Py_DecRef(r);
        }
    }

    @Override
    public List<Export> listExports(boolean readonly, boolean isTls) {
        if (module == 0) return null;
        try (Gil.Held g = Gil.hold()) {
            long r = callNamed("list_exports", Py.PyBool_FromLong(readonly ? 1 : 0),
                    Py.PyBool_FromLong(isTls ? 1 : 0));
            if (r == ABSENT) return null;
            if (r == 0) throw connectionFailure("list_exports");
            try {
                return toExports(r);
            } finally {
                Py.Py_DecRef(r);
            }
        }
    }

    private List<Export> toExports(long r) {
        long it = Py.PyObject_GetIter(r);
        if (it == 0) throw connectionFailure("list_exports");
        List<Export> out = new ArrayList<>();
        try {
            long item;
            while ((item = Py.PyIter_Next(it)) != 0) {
                try {
                    if (rt.isStr(item)) {
                        out.add(Export.named(PythonRuntime.toJavaString(item)));
                        continue;
                    }
                    long n = Py.PySequence_Size(item);
                    if (n != 2) {
                        Py.PyErr_Clear();
                        throw badResult("list_exports", "expected a name or a (name, description) tuple, got "
                                + PythonRuntime.repr(item));
                    }
                    long name = Py.PySequence_GetItem(item, 0);
                    long desc = Py.PySequence_GetItem(item, 1);
                    try {
                        if (!rt.isStr(name) || !(desc == rt.none || rt.isStr(desc))) {
                            throw badResult("list_exports", "expected (str, str) in the export list, got "
                                    + PythonRuntime.repr(item));
                        }
                        out.add(new Export(PythonRuntime.toJavaString(name),
                                desc == rt.none ? null : PythonRuntime.toJavaString(desc)));
                    } finally {
                        Py.Py_DecRef(name);
                        Py.Py_DecRef(desc);
                    }
                } finally {
                    Py.Py_DecRef(item);
                }
            }
            if (Py.PyErr_Occurred() != 0) throw connectionFailure("list_exports");
            return out;
        } finally {
            Py.Py_DecRef(it);
        }
    }

    @Override
    public String defaultExport(boolean readonly, boolean isTls) {
        if (module == 0) return "";
        try (Gil.Held g = Gil.hold()) {
            long r = callNamed("default_export", Py.PyBool_FromLong(readonly ? 1 : 0),
                    Py.PyBool_FromLong(isTls ? 1 : 0));
            if (r == ABSENT) return "";
            if (r == 0) throw connectionFailure("default_export");
            try {
                if (r == rt.none) return null;
                if (!rt.isStr(r)) {
                    throw badResult("default_export", "expected a string, got " + PythonRuntime.repr(r));
                }
                return PythonRuntime.toJavaString(r);
            } finally {
                Py.Py_DecRef(r);
            }
        }
    }

    @Override
    public Class<? extends Handle> handleType() { return PythonHandle.class; }

    @Override
    public Handle open(OpenContext context) {
        if (module == 0) throw new PluginException(Errno.EINVAL, "python: no script was loaded");
        try (Gil.Held g = Gil.hold()) {
            NbdkitModule.CallState st = NbdkitModule.STATE.get();
            String prev = st.exportName;
            st.exportName = context.exportName();
            st.errno = 0;
            try {
                long h = callNamed("open", Py.PyBool_FromLong(context.readonly() ? 1 : 0));
                if (h == ABSENT) throw new PluginException(Errno.EINVAL, script + ": missing callback: open");
                if (h == 0) throw connectionFailure("open");
                return new PythonHandle(this, h, context.exportName());
            } finally {
                st.exportName = prev;
            }
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Loading the script

    /** Whether the interpreter's own __main__ has run a script (only tests load several). */
    private static boolean mainTaken;

    /**
     * Runs the script as nbdkit does (PyRun_SimpleFileEx): in the interpreter's {@code __main__}
     * module, whose {@code __builtins__} is the builtins module, with {@code __file__} (and
     * {@code __cached__ = None}) set only while the script's top level runs, and a
     * SourceFileLoader as {@code __loader__}. A failure prints the traceback to stderr as Python
     * does and stops with nbdkit's message; {@code sys.exit(n)} at load time exits with status n.
     */
    private void loadScript(String path) {
        byte[] source;
        try {
            source = Files.readAllBytes(Path.of(path));
        } catch (NoSuchFileException e) {
            throw new PluginException(Errno.ENOENT, "python: " + path + ": cannot open file: No such file or directory");
        } catch (IOException e) {
            throw new PluginException(Errno.EIO, "python: " + path + ": cannot read file: " + e.getMessage());
        }
        rt = PythonRuntime.get();
        try (Gil.Held g = Gil.hold(); Arena a = Arena.ofConfined()) {
            long main = mainModule();
            long dict = Py.PyModule_GetDict(main);
            long file = PythonRuntime.newString(path);
            Py.PyDict_SetItemString(dict, PythonRuntime.cstr("__file__"), file);
            Py.PyDict_SetItemString(dict, PythonRuntime.cstr("__cached__"), rt.none);
            setMainLoader(dict, file);
            Py.Py_DecRef(file);
            MemorySegment src = a.allocate(source.length + 1L);
            src.copyFrom(MemorySegment.ofArray(source));
            NbdkitModule.STATE.get().errno = 0;
            long code = Py.Py_CompileString(src.address(), a.allocateFrom(path).address(), Py.Py_file_input);
            long r = code == 0 ? 0 : Py.PyEval_EvalCode(code, dict, dict);
            Py.Py_DecRef(code);
            if (r == 0) {
                exitOnSystemExit();
                Py.PyErr_Print();
                rt.flushStdio();
            }
            Py.Py_DecRef(r);
            Py.PyDict_DelItemString(dict, PythonRuntime.cstr("__file__"));
            Py.PyDict_DelItemString(dict, PythonRuntime.cstr("__cached__"));
            Py.PyErr_Clear();
            if (r == 0) throw new PluginException(Errno.EINVAL, path + ": error running this script");
            Py.Py_IncRef(main);
            module = main;
            script = path;
            long v = Py.PyObject_GetAttrString(main, PythonRuntime.cstr("API_VERSION"));
            if (v == 0) {
                Py.PyErr_Clear();
                apiVersion = 1;
            } else {
                long n = Py.PyLong_AsLongLong(v);
                Py.Py_DecRef(v);
                if (n == -1 && Py.PyErr_Occurred() != 0) {
                    throw new PluginException(Errno.EINVAL, path + ": API_VERSION is not an integer: "
                            + rt.fetchError("?"));
                }
                if (n < 1 || n > MAX_API_VERSION) {
                    throw new PluginException(Errno.EINVAL, path + ": API_VERSION requested unknown version: "
                            + n + ".  This plugin supports API versions between 1 and " + MAX_API_VERSION + ".");
                }
                apiVersion = (int) n;
            }
            Log.debug("python: loaded " + path + " (API_VERSION " + apiVersion + ")");
        }
    }

    /**
     * The interpreter's {@code __main__} (borrowed) the first time; a fresh one, set up the same
     * way, for each later script (nbdkit has one script per process; the tests load many).
     */
    private static long mainModule() {
        long name = PythonRuntime.cstr("__main__");
        if (!mainTaken) {
            mainTaken = true;
            return Py.PyImport_AddModule(name);
        }
        long fresh = Py.PyModule_New(name);
        long dict = Py.PyModule_GetDict(fresh);
        long builtins = Py.PyImport_ImportModule(PythonRuntime.cstr("builtins"));
        Py.PyDict_SetItemString(dict, PythonRuntime.cstr("__builtins__"), builtins);
        Py.Py_DecRef(builtins);
        long annotations = Py.PyDict_New();
        Py.PyDict_SetItemString(dict, PythonRuntime.cstr("__annotations__"), annotations);
        Py.Py_DecRef(annotations);
        Py.PyDict_SetItemString(Py.PySys_GetObject(PythonRuntime.cstr("modules")), name, fresh);
        Py.Py_DecRef(fresh);
        return Py.PyImport_AddModule(name);
    }

    /** {@code __loader__ = SourceFileLoader('__main__', path)}, as Python does for a script. */
    private void setMainLoader(long dict, long file) {
        long ext = Py.PyImport_ImportModule(PythonRuntime.cstr("_frozen_importlib_external"));
        long cls = ext == 0 ? 0 : Py.PyObject_GetAttrString(ext, PythonRuntime.cstr("SourceFileLoader"));
        Py.Py_DecRef(ext);
        if (cls != 0) {
            Py.Py_IncRef(file);
            long loader = call(cls, PythonRuntime.newString("__main__"), file);
            Py.Py_DecRef(cls);
            if (loader != 0) {
                Py.PyDict_SetItemString(dict, PythonRuntime.cstr("__loader__"), loader);
                Py.Py_DecRef(loader);
            }
        }
        Py.PyErr_Clear();
    }

    /** sys.exit() in the script's top level: exit now with its status, as nbdkit's Python does. */
    private void exitOnSystemExit() {
        if (Py.PyErr_ExceptionMatches(rt.systemExit) == 0) return;
        int code = rt.systemExitStatus();
        rt.flushStdio();
        System.out.flush();
        System.err.flush();
        Runtime.getRuntime().exit(code);
    }

    // ---------------------------------------------------------------------------------------------
    // Helpers (GIL held)

    /** The script's top-level function {@code name} (new reference), or 0 if it has none. */
    long function(String name) {
        long fn = Py.PyObject_GetAttrString(module, PythonRuntime.cstr(name));
        if (fn == 0) Py.PyErr_Clear();
        else if (fn == rt.none) {
            Py.Py_DecRef(fn);
            return 0;
        }
        return fn;
    }

    static final long ABSENT = -1;

    /** Call the script's function {@code name}; {@link #ABSENT} if it has none. Steals {@code args}. */
    long callNamed(String name, long... args) {
        long fn = function(name);
        if (fn == 0) {
            for (long a : args) Py.Py_DecRef(a);
            return ABSENT;
        }
        long r = call(fn, args);
        Py.Py_DecRef(fn);
        return r;
    }

    /**
     * Call {@code fn(args...)}; the argument references are stolen (a 0 argument means its
     * creation failed, and the Python error is pending). Clears the thread's errno first.
     */
    static long call(long fn, long... args) {
        NbdkitModule.STATE.get().errno = 0;
        long tuple = Py.PyTuple_New(args.length);
        boolean ok = tuple != 0;
        for (int i = 0; i < args.length; i++) {
            if (args[i] == 0) ok = false;
            if (tuple != 0 && args[i] != 0) Py.PyTuple_SetItem(tuple, i, args[i]);
            else Py.Py_DecRef(args[i]);
        }
        long r = ok ? Py.PyObject_CallObject(fn, tuple) : 0;
        Py.Py_DecRef(tuple);
        return r;
    }

    private void callStartup(String name) {
        if (module == 0) return;
        try (Gil.Held g = Gil.hold()) {
            long r = callNamed(name);
            if (r == ABSENT) return;
            if (r == 0) throw startupFailure(name);
            Py.Py_DecRef(r);
        }
    }

    private int errnoOrEio() {
        int e = NbdkitModule.STATE.get().errno;
        return e > 0 ? e : Errno.EIO;
    }

    /** A failed start-up callback: the whole nbdkit-style text goes in the exception. */
    PluginException startupFailure(String callback) {
        int errno = errnoOrEio();
        return new PluginException(errno, script + ": " + callback + ": error: " + rt.fetchError("unknown error"));
    }

    /**
     * A failed connection-time callback: logged as nbdkit logs it; the exception has no message
     * (so the server does not log it twice) and a {@link PythonError} summary as its cause.
     */
    PluginException connectionFailure(String callback) {
        int errno = errnoOrEio();
        String text = rt.fetchError("unknown error");
        Log.error(script + ": " + callback + ": error: " + text);
        return new PluginException(errno, null, new PythonError(callback + ": " + PythonRuntime.lastLine(text)));
    }

    /** A callback returned something of the wrong shape. Pure Java: callable without the GIL. */
    PluginException badResult(String callback, String message) {
        Log.error(script + ": " + callback + ": error: " + message);
        return new PluginException(Errno.EIO, null, new PythonError(callback + ": " + message));
    }
}
