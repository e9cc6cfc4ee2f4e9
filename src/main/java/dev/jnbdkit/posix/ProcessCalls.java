package dev.jnbdkit.posix;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * The process- and descriptor-level libc calls Java lacks: dup/dup2/close, raw read/write on a
 * descriptor (for {@code -s}, where the connection is stdin/stdout), setsid, prctl for
 * {@code --exit-with-parent}, and syslog. Each handle is made on first use:
 * creating downcall handles costs start-up time.
 */
public final class ProcessCalls {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final Linker.Option ERRNO = Linker.Option.captureCallState("errno");
    private static final long ERRNO_OFFSET = Linker.Option.captureStateLayout()
            .byteOffset(java.lang.foreign.MemoryLayout.PathElement.groupElement("errno"));

    private static final ValueLayout.OfInt I = ValueLayout.JAVA_INT;
    private static final ValueLayout.OfLong L = ValueLayout.JAVA_LONG;
    private static final java.lang.foreign.AddressLayout P = ValueLayout.ADDRESS;

    private ProcessCalls() {}

    private static MethodHandle handle(String name, FunctionDescriptor fd, boolean errno) {
        MemorySegment sym = LIBC.find(name).orElseThrow(() -> new UnsatisfiedLinkError("libc: " + name));
        return errno ? LINKER.downcallHandle(sym, fd, ERRNO) : LINKER.downcallHandle(sym, fd);
    }

    private static final class Fcntl { static final MethodHandle H = handle("fcntl", FunctionDescriptor.of(I, I, I, I), true); }
    private static final class Dup2 { static final MethodHandle H = handle("dup2", FunctionDescriptor.of(I, I, I), true); }
    private static final class Close { static final MethodHandle H = handle("close", FunctionDescriptor.of(I, I), true); }
    private static final class Read { static final MethodHandle H = handle("read", FunctionDescriptor.of(L, I, P, L), true); }
    private static final class Write { static final MethodHandle H = handle("write", FunctionDescriptor.of(L, I, P, L), true); }
    private static final class SignalFn { static final MethodHandle H = handle("signal", FunctionDescriptor.of(P, I, P), false); }
    private static final class Kill { static final MethodHandle H = handle("kill", FunctionDescriptor.of(I, I, I), true); }
    private static final class Setsid { static final MethodHandle H = handle("setsid", FunctionDescriptor.of(I), true); }
    private static final class Prctl { static final MethodHandle H = handle("prctl", FunctionDescriptor.of(I, I, L, L, L, L), true); }
    private static final class Open { static final MethodHandle H = handle("open", FunctionDescriptor.of(I, P, I, I), true); }
    private static final class Poll { static final MethodHandle H = handle("poll", FunctionDescriptor.of(I, P, L, I), true); }
    private static final class Shutdown { static final MethodHandle H = handle("shutdown", FunctionDescriptor.of(I, I, I), true); }
    private static final class Openlog { static final MethodHandle H = handle("openlog", FunctionDescriptor.ofVoid(P, I, I), false); }
    private static final class Syslog { static final MethodHandle H = handle("syslog", FunctionDescriptor.ofVoid(I, P, P), false); }

    /** An errno-carrying failure of a libc call. */
    public static final class PosixException extends java.io.IOException {
        private final int errno;

        PosixException(String call, int errno) {
            super(call + ": " + Strerror.message(errno));
            this.errno = errno;
        }

        public int errno() { return errno; }
    }

    /** A copy of {@code fd} that child processes do not inherit (fcntl F_DUPFD_CLOEXEC). */
    public static int dupCloexec(int fd) throws PosixException {
        final int F_DUPFD_CLOEXEC = 1030;
        return checked("fcntl", Fcntl.H, fd, F_DUPFD_CLOEXEC, 3);
    }

    public static int dup2(int from, int to) throws PosixException { return checked("dup2", Dup2.H, from, to); }

    public static void close(int fd) throws PosixException { checked("close", Close.H, fd); }

    public static void setsid() throws PosixException { checked("setsid", Setsid.H); }

    /** shutdown(2) with SHUT_RD (0), SHUT_WR (1) or SHUT_RDWR (2). */
    public static void shutdown(int fd, int how) throws PosixException { checked("shutdown", Shutdown.H, fd, how); }

    /**
     * Waits up to {@code millis} for {@code fd} to be readable (or at end of file, or in error:
     * all mean a read will not block). Returns false on timeout or EINTR.
     */
    public static boolean pollIn(int fd, int millis) throws PosixException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment pfd = a.allocate(8, 4); // struct pollfd { int fd; short events; short revents; }
            pfd.set(I, 0, fd);
            pfd.set(ValueLayout.JAVA_SHORT, 4, (short) 0x001); // POLLIN
            MemorySegment state = a.allocate(Linker.Option.captureStateLayout());
            int r = (int) Poll.H.invokeExact(state, pfd, 1L, millis);
            if (r < 0) {
                int errno = state.get(I, ERRNO_OFFSET);
                if (errno == 4) return false; // EINTR
                throw new PosixException("poll", errno);
            }
            return r > 0;
        } catch (PosixException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Opens a path with open(2) flags; returns the descriptor. */
    public static int open(String path, int flags, int mode) throws PosixException {
        try (Arena a = Arena.ofConfined()) {
            return checked("open " + path, Open.H, a.allocateFrom(path), flags, mode);
        }
    }

    public static final int O_RDWR = 2;

    /** signal(sig, SIG_DFL): gives the signal its default action back (e.g. one ignored at exec). */
    public static void defaultAction(int signal) {
        try {
            MemorySegment unused = (MemorySegment) SignalFn.H.invokeExact(signal, MemorySegment.NULL);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** kill(2): sends {@code signal} to process {@code pid}. */
    public static void kill(long pid, int signal) throws PosixException {
        checked("kill", Kill.H, (int) pid, signal);
    }

    /** Asks the kernel to send {@code signal} to this process when its parent dies. */
    public static void setParentDeathSignal(int signal) throws PosixException {
        final int PR_SET_PDEATHSIG = 1;
        checked("prctl", Prctl.H, PR_SET_PDEATHSIG, (long) signal, 0L, 0L, 0L);
    }

    /** read(2) into native memory; returns bytes read, 0 at end of file. Retries EINTR. */
    public static long read(int fd, MemorySegment dst, long len) throws PosixException {
        return io("read", Read.H, fd, dst, len);
    }

    /** write(2) from native memory; returns bytes written. Retries EINTR. */
    public static long write(int fd, MemorySegment src, long len) throws PosixException {
        return io("write", Write.H, fd, src, len);
    }

    /** openlog(ident, LOG_PID, LOG_DAEMON) once, then syslog at {@code priority}. */
    public static synchronized void syslog(String ident, int priority, String message) {
        try {
            if (syslogIdent == null) {
                syslogIdent = Arena.global().allocateFrom(ident);
                Openlog.H.invokeExact(syslogIdent, 0x01 /* LOG_PID */, 3 << 3 /* LOG_DAEMON */);
            }
            try (Arena a = Arena.ofConfined()) {
                Syslog.H.invokeExact(priority, a.allocateFrom("%s"), a.allocateFrom(message));
            }
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private static MemorySegment syslogIdent;

    private static long io(String name, MethodHandle h, int fd, MemorySegment buf, long len) throws PosixException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = a.allocate(Linker.Option.captureStateLayout());
            while (true) {
                long n = (long) h.invokeExact(state, fd, buf, len);
                if (n >= 0) return n;
                int errno = state.get(I, ERRNO_OFFSET);
                if (errno != 4 /* EINTR */) throw new PosixException(name, errno);
            }
        } catch (PosixException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private static int checked(String name, MethodHandle h, Object... args) throws PosixException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = a.allocate(Linker.Option.captureStateLayout());
            Object[] all = new Object[args.length + 1];
            all[0] = state;
            System.arraycopy(args, 0, all, 1, args.length);
            int r = (int) h.invokeWithArguments(all);
            if (r < 0) throw new PosixException(name, state.get(I, ERRNO_OFFSET));
            return r;
        } catch (PosixException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }
}
