package dev.jnbdkit.posix;

import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;

/**
 * open/dup2/close of descriptors through the JDK's own natives, without FFM: the ones
 * {@code System.inheritedChannel()} uses to point the standard streams at /dev/null
 * ({@code sun.nio.ch.InheritedChannel}). The first FFM downcall handles of a JVM cost ~200 ms of
 * CPU on a cold start (the linker generates a stub class per call shape, and the JIT compiles the
 * class-file generator meanwhile), more than all the rest of a socket-activated start; these are
 * plain JNI methods of a class the JDK loads anyway.
 *
 * <p>They are private, so this needs {@code java.base/sun.nio.ch} opened to us: bin/jvm.options
 * says {@code --add-opens=java.base/sun.nio.ch=ALL-UNNAMED}, for every launcher and the AOT
 * training. Elsewhere (a test JVM, a program embedding jnbdkit) {@link #available()} is false and callers
 * use {@link ProcessCalls}. Reflection calls through the VM's native accessor (bin/jvm.options
 * sets {@code -Djdk.reflect.useNativeAccessorOnly=true}), so no method-handle classes are spun.
 */
public final class JdkDescriptorCalls {
    private JdkDescriptorCalls() {}

    /** The three natives, or null when {@code sun.nio.ch} is not open to us. */
    private static final Method OPEN, DUP2, CLOSE;

    static {
        Method open = null, dup2 = null, close = null;
        try {
            Class<?> inherited = Class.forName("sun.nio.ch.InheritedChannel");
            open = inherited.getDeclaredMethod("open0", String.class, int.class);
            dup2 = inherited.getDeclaredMethod("dup2", int.class, int.class);
            close = inherited.getDeclaredMethod("close0", int.class);
            open.setAccessible(true);
            dup2.setAccessible(true);
            close.setAccessible(true);
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            // not opened to us (InaccessibleObjectException) or another JDK: the FFM calls serve
            open = dup2 = close = null;
        }
        OPEN = open;
        DUP2 = dup2;
        CLOSE = close;
    }

    /** True when the JDK's natives can be called (else use {@link ProcessCalls}). */
    public static boolean available() { return CLOSE != null; }

    /** {@code /dev/null} opened read-write; returns the descriptor. */
    public static int openDevNull() throws IOException {
        return (int) call(OPEN, "/dev/null", 2 /* InheritedChannel.O_RDWR */);
    }

    public static void dup2(int from, int to) throws IOException { call(DUP2, from, to); }

    public static void close(int fd) throws IOException { call(CLOSE, fd); }

    private static Object call(Method m, Object... args) throws IOException {
        if (m == null) throw new IllegalStateException("sun.nio.ch is not open to jnbdkit");
        try {
            return m.invoke(null, args);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof IOException io) throw io;
            throw new IllegalStateException(e.getCause());
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }
}
