package dev.jnbdkit.posix;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * The terminal calls nbdkit_read_password needs for {@code password=-}: is stdin a terminal,
 * and turning its echo off while the password is typed (termios, Linux layout).
 */
public final class TerminalCalls {
    private TerminalCalls() {}

    private static final Linker LINKER = Linker.nativeLinker();
    /** sizeof(struct termios) on Linux is 60; a little more does no harm. */
    private static final long TERMIOS_SIZE = 64;
    /** Offset of c_lflag: after c_iflag, c_oflag, c_cflag (tcflag_t, 4 bytes each). */
    private static final long C_LFLAG = 12;
    private static final int ECHO = 0x8;
    private static final int TCSAFLUSH = 2;

    private static MethodHandle handle(String name, FunctionDescriptor fd) {
        return LINKER.downcallHandle(LINKER.defaultLookup().findOrThrow(name), fd);
    }

    private static final class Isatty { static final MethodHandle H = handle("isatty", FunctionDescriptor.of(JAVA_INT, JAVA_INT)); }
    private static final class Tcgetattr { static final MethodHandle H = handle("tcgetattr", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS)); }
    private static final class Tcsetattr { static final MethodHandle H = handle("tcsetattr", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS)); }

    public static boolean isatty(int fd) {
        try {
            return (int) Isatty.H.invokeExact(fd) == 1;
        } catch (Throwable t) {
            return false;
        }
    }

    /** Turns echo off on terminal {@code fd}; the returned handle restores the old settings. */
    public static AutoCloseable echoOff(int fd) {
        Arena arena = Arena.ofShared();
        MemorySegment saved = arena.allocate(TERMIOS_SIZE, 8);
        try {
            if ((int) Tcgetattr.H.invokeExact(fd, saved) != 0) {
                arena.close();
                return () -> { };
            }
            MemorySegment quiet = arena.allocate(TERMIOS_SIZE, 8);
            quiet.copyFrom(saved);
            quiet.set(JAVA_INT, C_LFLAG, quiet.get(JAVA_INT, C_LFLAG) & ~ECHO);
            int unused = (int) Tcsetattr.H.invokeExact(fd, TCSAFLUSH, quiet);
        } catch (Throwable t) {
            arena.close();
            return () -> { };
        }
        return () -> {
            try {
                int unused = (int) Tcsetattr.H.invokeExact(fd, TCSAFLUSH, saved);
            } catch (Throwable ignored) {
                // the terminal is gone: nothing to restore
            } finally {
                arena.close();
            }
        };
    }
}
