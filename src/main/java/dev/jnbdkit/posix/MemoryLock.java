package dev.jnbdkit.posix;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.Arena;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * mlock(2) through libc: keeps a block of native memory in RAM (never swapped), for the memory
 * plugin's {@code allocator=malloc,mlock=true}. The handle is made on first use only, so servers
 * that never lock memory never link it.
 */
public final class MemoryLock {
    private MemoryLock() {}

    private static final class Mlock {
        static final StructLayout STATE = Linker.Option.captureStateLayout();
        static final VarHandle ERRNO = STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
        static final MethodHandle H = Linker.nativeLinker().downcallHandle(
                Linker.nativeLinker().defaultLookup().findOrThrow("mlock"),
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG),
                Linker.Option.captureCallState("errno"));
    }

    /** Locks {@code mem} into RAM: 0, or the errno mlock failed with (ENOMEM, EPERM, EAGAIN...). */
    public static int lock(MemorySegment mem) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = a.allocate(Mlock.STATE);
            int r = (int) Mlock.H.invokeExact(state, mem, mem.byteSize());
            return r == 0 ? 0 : (int) Mlock.ERRNO.get(state, 0L);
        } catch (Throwable t) {
            if (t instanceof RuntimeException r) throw r;
            if (t instanceof Error e) throw e;
            throw new IllegalStateException("mlock: " + t, t);
        }
    }
}
