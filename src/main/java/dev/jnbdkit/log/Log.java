package dev.jnbdkit.log;

import java.util.Objects;

/**
 * The server's log, shaped like nbdkit's: {@code nbdkit: python[1]: error: message}. The
 * program name is the one the user typed (jnbdkit, or nbdkit through a symlink); the context is
 * the plugin name and the connection number of the thread that logs, when there is one.
 *
 * <p>Debug messages appear only with {@code -v}. Where messages go ({@code --log=stderr|syslog|null})
 * is a {@link LogSink}, chosen once at start-up.
 */
public final class Log {
    private static volatile String program = System.getProperty("jnbdkit.progname", "jnbdkit");
    private static volatile boolean verbose;
    private static volatile LogSink sink = LogSink.STDERR;
    private static final ThreadLocal<String> CONTEXT = new ThreadLocal<>();

    private Log() {}

    public static String program() { return program; }

    public static void setProgram(String name) { program = Objects.requireNonNull(name); }

    public static boolean verbose() { return verbose; }

    public static void setVerbose(boolean v) { verbose = v; }

    public static LogSink sink() { return sink; }

    public static void setSink(LogSink s) { sink = Objects.requireNonNull(s); }

    /** Names the current thread's log context, e.g. {@code memory[3]}; null clears it. */
    public static void setContext(String context) {
        if (context == null) CONTEXT.remove(); else CONTEXT.set(context);
    }

    public static String context() { return CONTEXT.get(); }

    public static void error(String message) { sink.write(LogSink.Level.ERROR, format("error: ", message)); }

    public static void warning(String message) { sink.write(LogSink.Level.WARNING, format("warning: ", message)); }

    public static void debug(String message) {
        if (verbose) sink.write(LogSink.Level.DEBUG, format("debug: ", message));
    }

    /** Plain message with only the program prefix, for command-line errors. */
    public static String line(String message) { return program + ": " + message; }

    private static String format(String kind, String message) {
        String ctx = CONTEXT.get();
        StringBuilder sb = new StringBuilder(program.length() + message.length() + 32);
        sb.append(program).append(": ");
        if (ctx != null) sb.append(ctx).append(": ");
        sb.append(kind).append(message);
        return sb.toString();
    }
}
