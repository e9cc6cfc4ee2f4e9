package dev.jnbdkit.posix;


import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The libc file calls Java lacks (or hides behind FileChannel), through FFM: open/close,
 * pread/pwrite straight into a request's native buffer, fdatasync, fallocate (punch hole, zero
 * range), lseek with SEEK_DATA/SEEK_HOLE, posix_fadvise, sync_file_range.
 *
 * <p>Every call returns what libc returns; on -1, {@link #errno()} (on the same thread, right
 * after the call) is the errno libc set, captured by the linker. Each downcall handle is created
 * on first use only (the first one costs ~100 ms at start-up; later ones ~1 ms), so a plugin pays
 * for what it calls.
 *
 * <p>Linux x86_64/aarch64 constants.
 */
public final class FileCalls {
    public static final int O_RDONLY = 0;
    public static final int O_WRONLY = 1;
    public static final int O_RDWR = 2;
    public static final int O_NOCTTY = 0400;
    public static final int O_CLOEXEC = 02000000;

    public static final int SEEK_SET = 0;
    public static final int SEEK_END = 2;
    public static final int SEEK_DATA = 3;
    public static final int SEEK_HOLE = 4;

    public static final int FALLOC_FL_KEEP_SIZE = 0x01;
    public static final int FALLOC_FL_PUNCH_HOLE = 0x02;
    public static final int FALLOC_FL_ZERO_RANGE = 0x10;

    public static final int POSIX_FADV_NORMAL = 0;
    public static final int POSIX_FADV_RANDOM = 1;
    public static final int POSIX_FADV_SEQUENTIAL = 2;
    public static final int POSIX_FADV_WILLNEED = 3;
    public static final int POSIX_FADV_DONTNEED = 4;

    public static final int SYNC_FILE_RANGE_WAIT_BEFORE = 1;
    public static final int SYNC_FILE_RANGE_WRITE = 2;
    public static final int SYNC_FILE_RANGE_WAIT_AFTER = 4;

    public static final int EINTR = 4;
    public static final int ENXIO = 6;
    public static final int EAGAIN = 11;
    public static final int EACCES = 13;
    public static final int ENODEV = 19;
    public static final int ENOTDIR = 20;
    public static final int EISDIR = 21;
    public static final int EINVAL = 22;
    public static final int EROFS = 30;
    public static final int ENOSYS = 38;
    public static final int EOPNOTSUPP = 95;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final StructLayout STATE_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = STATE_LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option CAPTURE = Linker.Option.captureCallState("errno");
    /** Where the linker stores errno; one per thread, so calls on different threads never mix. */
    private static final ThreadLocal<MemorySegment> STATE =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(STATE_LAYOUT));

    private FileCalls() {}

    private static MethodHandle capturing(String name, FunctionDescriptor fd, Linker.Option... more) {
        Linker.Option[] opts = new Linker.Option[more.length + 1];
        opts[0] = CAPTURE;
        System.arraycopy(more, 0, opts, 1, more.length);
        return LINKER.downcallHandle(LIBC.findOrThrow(name), fd, opts);
    }

    /** errno of the last failed call made through this class on the current thread. */
    public static int errno() { return (int) ERRNO.get(STATE.get(), 0L); }

    private static RuntimeException fatal(String call, Throwable t) {
        if (t instanceof RuntimeException r) return r;
        if (t instanceof Error e) throw e;
        return new IllegalStateException(call + ": " + t, t);
    }

    // ---- open / close ------------------------------------------------------------------------

    private static final class Open {
        static final MethodHandle H = capturing("open",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), Linker.Option.firstVariadicArg(2));
    }

    /** open(2) without O_CREAT: the file descriptor, or -1 (see {@link #errno()}). */
    public static int open(String path, int flags) {
        try (Arena a = Arena.ofConfined()) {
            return (int) Open.H.invokeExact(STATE.get(), a.allocateFrom(path), flags, 0);
        } catch (Throwable t) {
            throw fatal("open", t);
        }
    }

    private static final class Close {
        static final MethodHandle H = capturing("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    }

    public static int close(int fd) {
        try {
            return (int) Close.H.invokeExact(STATE.get(), fd);
        } catch (Throwable t) {
            throw fatal("close", t);
        }
    }

    // ---- pread / pwrite ----------------------------------------------------------------------

    private static final class Pread {
        static final MethodHandle H = capturing("pread",
                FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG));
    }

    private static final class Pwrite {
        static final MethodHandle H = capturing("pwrite",
                FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG));
    }

    /** One pread(2) of {@code buf} (a native segment) at {@code offset}: bytes read, 0 at EOF, or -1. */
    public static long pread(int fd, MemorySegment buf, long offset) {
        try {
            return (long) Pread.H.invokeExact(STATE.get(), fd, buf, buf.byteSize(), offset);
        } catch (Throwable t) {
            throw fatal("pread", t);
        }
    }

    /** One pwrite(2) of {@code buf} (a native segment) at {@code offset}: bytes written, or -1. */
    public static long pwrite(int fd, MemorySegment buf, long offset) {
        try {
            return (long) Pwrite.H.invokeExact(STATE.get(), fd, buf, buf.byteSize(), offset);
        } catch (Throwable t) {
            throw fatal("pwrite", t);
        }
    }

    // ---- sync --------------------------------------------------------------------------------

    private static final class Fdatasync {
        static final MethodHandle H = capturing("fdatasync", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    }

    public static int fdatasync(int fd) {
        try {
            return (int) Fdatasync.H.invokeExact(STATE.get(), fd);
        } catch (Throwable t) {
            throw fatal("fdatasync", t);
        }
    }

    private static final class SyncFileRange {
        static final MethodHandle H = capturing("sync_file_range",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT));
    }

    public static int syncFileRange(int fd, long offset, long count, int flags) {
        try {
            return (int) SyncFileRange.H.invokeExact(STATE.get(), fd, offset, count, flags);
        } catch (Throwable t) {
            throw fatal("sync_file_range", t);
        }
    }

    // ---- fallocate / lseek / fadvise ---------------------------------------------------------

    private static final class Fallocate {
        static final MethodHandle H = capturing("fallocate",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG));
    }

    public static int fallocate(int fd, int mode, long offset, long length) {
        try {
            return (int) Fallocate.H.invokeExact(STATE.get(), fd, mode, offset, length);
        } catch (Throwable t) {
            throw fatal("fallocate", t);
        }
    }

    private static final class Lseek {
        static final MethodHandle H = capturing("lseek",
                FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_INT));
    }

    public static long lseek(int fd, long offset, int whence) {
        try {
            return (long) Lseek.H.invokeExact(STATE.get(), fd, offset, whence);
        } catch (Throwable t) {
            throw fatal("lseek", t);
        }
    }

    private static final class Fadvise {
        static final MethodHandle H = LINKER.downcallHandle(LIBC.findOrThrow("posix_fadvise"),
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT));
    }

    /** posix_fadvise(2): 0, or the error number (it does not set errno). */
    public static int posixFadvise(int fd, long offset, long length, int advice) {
        try {
            return (int) Fadvise.H.invokeExact(fd, offset, length, advice);
        } catch (Throwable t) {
            throw fatal("posix_fadvise", t);
        }
    }

    // ---- errors ------------------------------------------------------------------------------

    // ---- whole-file locks (open file description locks, Linux) ------------------------------

    public static final short F_RDLCK = 0;
    public static final short F_WRLCK = 1;
    private static final int F_OFD_SETLK = 37;
    private static final int F_OFD_SETLKW = 38;

    private static final class Fcntl {
        static final MethodHandle H = capturing("fcntl",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS), Linker.Option.firstVariadicArg(2));
    }

    /**
     * Locks the whole of {@code fd}'s file, shared ({@link #F_RDLCK}) or exclusive
     * ({@link #F_WRLCK}), with an open file description lock: it belongs to this descriptor, so
     * two descriptors of the same process conflict as two processes do, and it goes with the
     * last close. {@code wait}: block until granted (F_OFD_SETLKW), else fail at once with
     * EAGAIN (F_OFD_SETLK). 0, or -1 (see {@link #errno()}).
     */
    public static int lockWholeFile(int fd, short type, boolean wait) {
        try (Arena a = Arena.ofConfined()) {
            // struct flock on 64-bit Linux: short l_type, short l_whence, off_t l_start, off_t l_len, pid_t l_pid (0 for OFD locks)
            MemorySegment fl = a.allocate(32, 8);
            fl.set(java.lang.foreign.ValueLayout.JAVA_SHORT, 0, type);
            fl.set(java.lang.foreign.ValueLayout.JAVA_SHORT, 2, (short) SEEK_SET);
            return (int) Fcntl.H.invokeExact(STATE.get(), fd, wait ? F_OFD_SETLKW : F_OFD_SETLK, fl);
        } catch (Throwable t) {
            throw fatal("fcntl", t);
        }
    }

    private static final class Strerror {
        static final MethodHandle H = LINKER.downcallHandle(LIBC.findOrThrow("strerror"),
                FunctionDescriptor.of(ADDRESS, JAVA_INT));
    }

    /** The C library's message for {@code errno}, as {@code %m} prints it. */
    public static String strerror(int errno) {
        try {
            MemorySegment s = (MemorySegment) Strerror.H.invokeExact(errno);
            if (s.address() == 0) return "errno " + errno;
            return s.reinterpret(1024).getString(0);
        } catch (Throwable t) {
            return "errno " + errno;
        }
    }
}
