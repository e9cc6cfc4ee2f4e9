package dev.jnbdkit.python;

import dev.jnbdkit.spi.OpenContext;

import java.nio.file.Path;

/** Test helpers: a PythonPlugin with a test script loaded. */
final class Scripts {
    private Scripts() {}

    static String path(String name) {
        return Path.of("src/test/resources/python", name).toString();
    }

    static PythonPlugin load(String name, String... keyValues) {
        PythonPlugin p = new PythonPlugin();
        p.load();
        p.config("script", path(name));
        for (int i = 0; i + 1 < keyValues.length; i += 2) p.config(keyValues[i], keyValues[i + 1]);
        p.configComplete();
        return p;
    }

    static OpenContext ctx(String export) { return new OpenContext(false, export, false); }

    static OpenContext ctx() { return ctx(""); }

    /** str() of what the script's function {@code name}() returns (a test probe into the script). */
    static String call(PythonPlugin p, String name) {
        int g = Py.PyGILState_Ensure();
        try {
            long r = p.callNamed(name);
            if (r == PythonPlugin.ABSENT) throw new AssertionError("no function " + name);
            if (r == 0) throw new AssertionError(name + " raised: " + p.runtime().fetchError("?"));
            String s = PythonRuntime.str(r);
            Py.Py_DecRef(r);
            return s;
        } finally {
            Py.PyGILState_Release(g);
        }
    }

    /** Capture log lines while running {@code body}. */
    static java.util.List<String> logged(Runnable body) {
        java.util.List<String> lines = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        dev.jnbdkit.log.LogSink old = dev.jnbdkit.log.Log.sink();
        boolean verbose = dev.jnbdkit.log.Log.verbose();
        dev.jnbdkit.log.Log.setSink((level, line) -> lines.add(line));
        dev.jnbdkit.log.Log.setVerbose(true);
        try {
            body.run();
        } finally {
            dev.jnbdkit.log.Log.setSink(old);
            dev.jnbdkit.log.Log.setVerbose(verbose);
        }
        return lines;
    }

    /** The message of a PluginException, or its PythonError summary when the message was logged instead. */
    static String text(dev.jnbdkit.spi.PluginException e) {
        if (e.getMessage() != null) return e.getMessage();
        return e.getCause() != null ? e.getCause().getMessage() : null;
    }
}
