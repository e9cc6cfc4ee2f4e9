package dev.jnbdkit.filters.exitwhen;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * poll(2) and fcntl(2) for the pipe event: whether the other end of a pipe has gone (POLLHUP,
 * reported whatever events are asked, so no data is ever read), and whether a descriptor is open.
 * Belongs in {@code posix.ProcessCalls} as {@code boolean hungUp(int fd)}.
 */
final class Poll {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final MethodHandle POLL = LINKER.downcallHandle(LINKER.defaultLookup().findOrThrow("poll"),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
    private static final MethodHandle FCNTL = LINKER.downcallHandle(LINKER.defaultLookup().findOrThrow("fcntl"),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT),
            Linker.Option.firstVariadicArg(2));
    private static final short POLLERR = 0x008, POLLHUP = 0x010, POLLNVAL = 0x020;
    private static final int F_GETFD = 1;

    private Poll() {}

    /** True if {@code fd} reports hang-up, error or is not open. */
    static boolean hungUp(int fd) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment pfd = a.allocate(8, 4); // struct pollfd { int fd; short events; short revents; }
            pfd.set(ValueLayout.JAVA_INT, 0, fd);
            int r = (int) POLL.invokeExact(pfd, 1L, 0);
            if (r <= 0) return false;
            short revents = pfd.get(ValueLayout.JAVA_SHORT, 6);
            return (revents & (POLLERR | POLLHUP | POLLNVAL)) != 0;
        } catch (Throwable t) {
            throw new IllegalStateException("poll: " + t, t);
        }
    }

    /** True if {@code fd} is an open descriptor. */
    static boolean isOpen(int fd) {
        try {
            return (int) FCNTL.invokeExact(fd, F_GETFD) != -1;
        } catch (Throwable t) {
            throw new IllegalStateException("fcntl: " + t, t);
        }
    }
}
