package dev.jnbdkit.python;

import dev.jnbdkit.spi.Handle;

/** Run in a child JVM by InterpreterTest: one interpreter per process. Prints one result line. */
public final class InterpreterMain {
    public static void main(String[] args) {
        PythonPlugin p = Scripts.load("interp.py");
        Handle h = p.open(Scripts.ctx());
        TestBuffer b = new TestBuffer(4);
        h.pread(b, 0, 0);
        System.out.println("RESULT " + b.text() + "|" + Scripts.call(p, "_info"));
        h.close();
        p.cleanup();
        p.unload();
    }
}
