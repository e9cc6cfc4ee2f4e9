package dev.jnbdkit.posix;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * Starting a child process whose stdin and stdout are descriptors of our choosing, with
 * posix_spawn(3): what ProcessBuilder cannot do (it only passes on descriptors 0-2 as they are).
 * The {@code --run} command gets the server's original stdin and stdout this way while the
 * server's own descriptors 0 and 1 stay on /dev/null, with no moment in which a plugin could
 * write into the command's output. As ProcessBuilder does, the child gets default signal
 * dispositions, an empty signal mask, and no descriptor above 2.
 */
public final class Spawn {
    private Spawn() {}

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    /** Larger than glibc's posix_spawn_file_actions_t (80), posix_spawnattr_t (336), sigset_t (128). */
    private static final long OPAQUE = 512;
    private static final short POSIX_SPAWN_SETSIGDEF = 0x04;
    private static final short POSIX_SPAWN_SETSIGMASK = 0x08;

    private static MethodHandle h(String name, FunctionDescriptor fd) {
        return LINKER.downcallHandle(LIBC.findOrThrow(name), fd);
    }

    private static final class Calls {
        static final MethodHandle FA_INIT = h("posix_spawn_file_actions_init", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        static final MethodHandle FA_DUP2 = h("posix_spawn_file_actions_adddup2",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
        static final MethodHandle FA_DESTROY = h("posix_spawn_file_actions_destroy", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        /** glibc >= 2.34; without it, descriptors above 2 are closed only if close-on-exec. */
        static final Optional<MethodHandle> FA_CLOSEFROM = LIBC.find("posix_spawn_file_actions_addclosefrom_np")
                .map(s -> LINKER.downcallHandle(s, FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT)));
        static final MethodHandle ATTR_INIT = h("posix_spawnattr_init", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        static final MethodHandle ATTR_FLAGS = h("posix_spawnattr_setflags", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_SHORT));
        static final MethodHandle ATTR_SIGMASK = h("posix_spawnattr_setsigmask", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        static final MethodHandle ATTR_SIGDEF = h("posix_spawnattr_setsigdefault", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        static final MethodHandle ATTR_DESTROY = h("posix_spawnattr_destroy", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        static final MethodHandle SIGEMPTYSET = h("sigemptyset", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        static final MethodHandle SIGADDSET = h("sigaddset", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
        static final MethodHandle SPAWN = h("posix_spawn",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
        static final MethodHandle WAITPID = LINKER.downcallHandle(LIBC.findOrThrow("waitpid"),
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT), Linker.Option.captureCallState("errno"));
    }

    /**
     * Runs {@code argv} (argv[0] is the program's path) with environment {@code env}, stdin
     * from {@code in} and stdout to {@code out} (stderr inherited), and waits for it. Returns its
     * exit status, or 128 + the signal that killed it (as the shell and ProcessBuilder report it).
     */
    public static int run(List<String> argv, Map<String, String> env, int in, int out) throws ProcessCalls.PosixException {
        return waitFor(spawn(argv, env, new int[] {in, out, 2}));
    }

    /**
     * Starts {@code argv} as {@link #run} does, but without waiting, with descriptors 0, 1 and 2
     * as they are and {@code fd3} as its descriptor 3 (a socket-activated server's listening
     * socket); returns its pid, for {@link #waitFor}.
     */
    public static int start(List<String> argv, Map<String, String> env, int fd3) throws ProcessCalls.PosixException {
        return spawn(argv, env, new int[] {0, 1, 2, fd3});
    }

    /** Starts {@code argv} with {@code fds[i]} as its descriptor i and no other above them. */
    private static int spawn(List<String> argv, Map<String, String> env, int[] fds) throws ProcessCalls.PosixException {
        int pid;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment actions = a.allocate(OPAQUE, 16);
            MemorySegment attr = a.allocate(OPAQUE, 16);
            MemorySegment empty = a.allocate(OPAQUE, 16);
            MemorySegment defaults = a.allocate(OPAQUE, 16);
            check("posix_spawn_file_actions_init", (int) Calls.FA_INIT.invokeExact(actions));
            check("posix_spawnattr_init", (int) Calls.ATTR_INIT.invokeExact(attr));
            try {
                for (int i = 0; i < fds.length; i++) {
                    // A source below i would be overwritten by an earlier dup2: callers pass 0..2 as
                    // themselves (dup2 onto itself keeps it) and anything else from above.
                    check("posix_spawn_file_actions_adddup2", (int) Calls.FA_DUP2.invokeExact(actions, fds[i], i));
                }
                if (Calls.FA_CLOSEFROM.isPresent()) {
                    check("posix_spawn_file_actions_addclosefrom_np", (int) Calls.FA_CLOSEFROM.get().invokeExact(actions, fds.length));
                }
                int unused = (int) Calls.SIGEMPTYSET.invokeExact(empty);
                unused = (int) Calls.SIGEMPTYSET.invokeExact(defaults);
                for (int sig = 1; sig <= 64; sig++) {
                    // SIGKILL and SIGSTOP cannot be reset; 32 and 33 belong to the C library.
                    if (sig == 9 || sig == 19 || sig == 32 || sig == 33) continue;
                    unused = (int) Calls.SIGADDSET.invokeExact(defaults, sig);
                }
                check("posix_spawnattr_setsigmask", (int) Calls.ATTR_SIGMASK.invokeExact(attr, empty));
                check("posix_spawnattr_setsigdefault", (int) Calls.ATTR_SIGDEF.invokeExact(attr, defaults));
                check("posix_spawnattr_setflags", (int) Calls.ATTR_FLAGS.invokeExact(attr,
                        (short) (POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK)));
                MemorySegment args = strings(a, argv);
                MemorySegment envp = strings(a, env.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList());
                MemorySegment pidOut = a.allocate(JAVA_INT);
                check("posix_spawn " + argv.getFirst(), (int) Calls.SPAWN.invokeExact(pidOut,
                        a.allocateFrom(argv.getFirst()), actions, attr, args, envp));
                pid = pidOut.get(JAVA_INT, 0);
            } finally {
                int unused = (int) Calls.FA_DESTROY.invokeExact(actions);
                unused = (int) Calls.ATTR_DESTROY.invokeExact(attr);
            }
        } catch (ProcessCalls.PosixException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
        return pid;
    }

    /** Waits for child {@code pid}: its exit status, or 128 + the signal that killed it. */
    public static int waitFor(int pid) throws ProcessCalls.PosixException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = a.allocate(Linker.Option.captureStateLayout());
            MemorySegment status = a.allocate(JAVA_INT);
            long errnoAt = Linker.Option.captureStateLayout()
                    .byteOffset(java.lang.foreign.MemoryLayout.PathElement.groupElement("errno"));
            while (true) {
                int r = (int) Calls.WAITPID.invokeExact(state, pid, status, 0);
                if (r == pid) break;
                int errno = state.get(JAVA_INT, errnoAt);
                if (errno != 4 /* EINTR */) throw new ProcessCalls.PosixException("waitpid", errno);
            }
            int s = status.get(JAVA_INT, 0);
            return (s & 0x7f) == 0 ? (s >> 8) & 0xff : 128 + (s & 0x7f);
        } catch (ProcessCalls.PosixException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** A NULL-terminated char *[] of the strings. */
    private static MemorySegment strings(Arena a, List<String> items) {
        MemorySegment array = a.allocate(ADDRESS, items.size() + 1L);
        for (int i = 0; i < items.size(); i++) array.setAtIndex(ADDRESS, i, a.allocateFrom(items.get(i)));
        array.setAtIndex(ADDRESS, items.size(), MemorySegment.NULL);
        return array;
    }

    /** posix_spawn and its helpers return the error number instead of setting errno. */
    private static void check(String call, int r) throws ProcessCalls.PosixException {
        if (r != 0) throw new ProcessCalls.PosixException(call, r);
    }
}
