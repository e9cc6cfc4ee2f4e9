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
}
