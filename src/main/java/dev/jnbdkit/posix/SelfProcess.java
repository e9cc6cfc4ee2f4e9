package dev.jnbdkit.posix;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Our own pid and our parent's, read from /proc/self/stat. {@code ProcessHandle.current()} gives
 * the same answers, but its first use initialises the JDK's process reaper (a thread pool and
 * its random seed): several milliseconds on the start path of a socket-activated server, which
 * needs both numbers before its first client.
 */
public final class SelfProcess {
    private SelfProcess() {}

    /** Our pid. */
    public static long pid() {
        return field(0);
    }

    /** The pid of our parent (1, or a subreaper's, once the process that started us has exited). */
    public static long parentPid() {
        return field(3);
    }

    /**
     * Field {@code n} (0-based) of /proc/self/stat: "pid (comm) state ppid ...". The command name
     * may hold spaces and parentheses, so the fields after it are counted from its last ')'.
     */
    private static long field(int n) {
        try {
            return field(Files.readString(Path.of("/proc/self/stat")), n);
        } catch (IOException e) {
            throw new IllegalStateException("/proc/self/stat: " + e.getMessage(), e);
        }
    }

    static long field(String stat, int n) {
        if (n == 0) return Long.parseLong(stat.substring(0, stat.indexOf(' ')));
        String[] rest = stat.substring(stat.lastIndexOf(')') + 2).split(" ", n);
        return Long.parseLong(rest[n - 2]);
    }
}
