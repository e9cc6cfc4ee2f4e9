package dev.jnbdkit.posix;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.channels.Channel;
import java.nio.charset.StandardCharsets;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * What the kernel knows about the other end of a connected socket, which Java does not expose:
 * {@code SO_PEERCRED} (pid, uid, gid of a Unix-socket client), {@code SO_PEERSEC} (its security
 * label) and the socket's address family. Used by nbdkit_peer_pid & co.
 */
public final class SocketCalls {
    private SocketCalls() {}

    public static final int AF_UNIX = 1;
    private static final int SOL_SOCKET = 1;
    private static final int SO_PEERCRED = 17;
    private static final int SO_PEERSEC = 31;
    private static final int ERANGE = 34;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final StructLayout STATE = Linker.Option.captureStateLayout();
    private static final long ERRNO_OFFSET = STATE.byteOffset(java.lang.foreign.MemoryLayout.PathElement.groupElement("errno"));

    private static MethodHandle capturing(String name, FunctionDescriptor fd) {
        return LINKER.downcallHandle(LIBC.findOrThrow(name), fd, Linker.Option.captureCallState("errno"));
    }

    private static final class Getsockopt {
        static final MethodHandle H = capturing("getsockopt",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    }

    private static final class Getsockname {
        static final MethodHandle H = capturing("getsockname", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    }

    /** struct ucred of the peer (Linux). */
    public record PeerCred(int pid, int uid, int gid) {}

    /** getsockopt(SO_PEERCRED); fails as nbdkit words it ({@code getsockopt: SO_PEERCRED: ...}). */
    public static PeerCred peerCred(int fd) throws ProcessCalls.PosixException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = a.allocate(STATE);
            MemorySegment cred = a.allocate(12, 4);
            MemorySegment len = a.allocateFrom(JAVA_INT, 12);
            int r = (int) Getsockopt.H.invokeExact(state, fd, SOL_SOCKET, SO_PEERCRED, cred, len);
            if (r < 0) throw new ProcessCalls.PosixException("getsockopt: SO_PEERCRED", state.get(JAVA_INT, ERRNO_OFFSET));
            return new PeerCred(cred.get(JAVA_INT, 0), cred.get(JAVA_INT, 4), cred.get(JAVA_INT, 8));
        } catch (ProcessCalls.PosixException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** getsockopt(SO_PEERSEC): the peer's security label (SELinux, IPSEC, NetLabel), without the NUL. */
    public static String peerSecurityContext(int fd) throws ProcessCalls.PosixException {
        int size = 256;
        while (true) {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment state = a.allocate(STATE);
                MemorySegment buf = a.allocate(size);
                MemorySegment len = a.allocateFrom(JAVA_INT, size);
                int r = (int) Getsockopt.H.invokeExact(state, fd, SOL_SOCKET, SO_PEERSEC, buf, len);
                int n = len.get(JAVA_INT, 0);
                if (r < 0) {
                    int errno = state.get(JAVA_INT, ERRNO_OFFSET);
                    if (errno == ERANGE && n > size && size < 65536) {
                        size = n;
                        continue;
                    }
                    throw new ProcessCalls.PosixException("getsockopt: SO_PEERSEC", errno);
                }
                byte[] b = buf.asSlice(0, Math.min(n, size)).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
                int end = b.length;
                while (end > 0 && b[end - 1] == 0) end--;
                return new String(b, 0, end, StandardCharsets.UTF_8);
            } catch (ProcessCalls.PosixException e) {
                throw e;
            } catch (Throwable t) {
                throw new IllegalStateException(t);
            }
        }
    }

    /** The address family of the socket (AF_UNIX, AF_INET...), from getsockname. */
    public static int family(int fd) throws ProcessCalls.PosixException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = a.allocate(STATE);
            MemorySegment addr = a.allocate(128, 8);
            MemorySegment len = a.allocateFrom(JAVA_INT, 128);
            int r = (int) Getsockname.H.invokeExact(state, fd, addr, len);
            if (r < 0) throw new ProcessCalls.PosixException("getsockname", state.get(JAVA_INT, ERRNO_OFFSET));
            return addr.get(JAVA_SHORT, 0) & 0xffff;
        } catch (ProcessCalls.PosixException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /**
     * The descriptor behind a JDK socket channel, or -1 when the JDK does not let us see it. The
     * JDK keeps it in {@code sun.nio.ch}, which bin/jvm.options opens to us
     * ({@code --add-opens=java.base/sun.nio.ch=ALL-UNNAMED}); without that (another launcher) the
     * peer's credentials are simply unavailable.
     */
    public static int descriptor(Channel channel) {
        try {
            Class<?> selCh = Class.forName("sun.nio.ch.SelChImpl");
            if (!selCh.isInstance(channel)) return -1;
            return (int) selCh.getMethod("getFDVal").invoke(channel);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return -1;
        }
    }
}
