package dev.jnbdkit.plugins.memory;

import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.PluginException;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Zeroed native memory whose lifetime is managed by the garbage collector: a segment is freed
 * only once nothing references it any more, so a reader that still holds a chunk that a trim has
 * just dropped reads stale-but-valid memory, never freed memory.
 *
 * <p>Two sources, chosen at run time:
 * <ol>
 *   <li>{@link Arena#ofAuto()} for the first {@link #ARENA_BUDGET} bytes — no native linker
 *       needed (the first downcall handle costs ~100 ms at start-up), so small disks start
 *       fast. The JDK counts these bytes against {@code -XX:MaxDirectMemorySize} (by default the
 *       maximum heap size), the budget the server's request buffers come from too: the plugin
 *       must not exhaust it (measured: with the cap full of chunks the server could not allocate
 *       a request buffer and the connection died).</li>
 *   <li>beyond that, libc {@code calloc}, wrapped in an automatic arena whose cleanup calls
 *       {@code free}: limited only by RAM + swap, like nbdkit's memory plugin, and invisible to
 *       the JDK's direct-memory accounting.</li>
 * </ol>
 */
final class NativeAlloc {
    /** Bytes taken from the JDK's direct-memory budget before switching to calloc. */
    static final long ARENA_BUDGET = Math.min(64L << 20, Runtime.getRuntime().maxMemory() / 8);
    private static final java.util.concurrent.atomic.AtomicLong fromArena = new java.util.concurrent.atomic.AtomicLong();
    private static volatile boolean useCalloc = Boolean.getBoolean("jnbdkit.memory.calloc");

    private NativeAlloc() {}

    /** Tests: force (or stop forcing) the calloc path. */
    static void useCalloc(boolean on) { useCalloc = on; }

    /** {@code size} zeroed bytes, 64-byte aligned; ENOMEM if there is no memory. */
    static MemorySegment allocateZeroed(long size) {
        if (!useCalloc) {
            long used = fromArena.addAndGet(size);
            if (used > ARENA_BUDGET / 2) prelinkCalloc();
            if (used <= ARENA_BUDGET) {
                try {
                    return Arena.ofAuto().allocate(size, 64);
                } catch (OutOfMemoryError e) {
                    // the direct memory cap (the server's buffers share it): bypass it from now on
                }
            }
            useCalloc = true;
        }
        return Libc.calloc(size);
    }

    private static final AtomicBoolean prelinked = new AtomicBoolean();

    /**
     * Half the arena budget is gone: link calloc and free on a thread of their own now. Linked
     * by the worker that first needs calloc, the handles' class initialisation (the linker spins
     * its classes, ~100 ms of CPU) held up every other worker that allocated meanwhile, in the
     * middle of a copy. Small disks never get here, so their start stays without the linker.
     */
    private static void prelinkCalloc() {
        if (!prelinked.compareAndSet(false, true)) return;
        Thread.ofPlatform().daemon().name("memory-calloc-link").start(Libc::link);
    }

    /** Tests: whether calloc was linked ahead of need. */
    static boolean prelinkStarted() { return prelinked.get(); }

    /** libc calloc/free, created only if the JDK's allocator runs out (or is about to). */
    private static final class Libc {
        private static final MethodHandle CALLOC;
        private static final MethodHandle FREE;

        static {
            Linker linker = Linker.nativeLinker();
            var libc = linker.defaultLookup();
            CALLOC = linker.downcallHandle(libc.findOrThrow("calloc"),
                    FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG));
            FREE = linker.downcallHandle(libc.findOrThrow("free"),
                    FunctionDescriptor.ofVoid(ValueLayout.ADDRESS));
        }

        /** Nothing: calling it initialises the class, which links the handles. */
        static void link() {}

        static MemorySegment calloc(long size) {
            MemorySegment p;
            try {
                p = (MemorySegment) CALLOC.invokeExact(1L, Math.max(size, 1L));
            } catch (Throwable t) {
                throw new PluginException(Errno.ENOMEM, "calloc: " + t, t);
            }
            if (p.address() == 0) {
                throw new PluginException(Errno.ENOMEM, "calloc: Cannot allocate memory");
            }
            return p.reinterpret(size, Arena.ofAuto(), Libc::free);
        }

        private static void free(MemorySegment p) {
            try {
                FREE.invokeExact(p);
            } catch (Throwable ignored) {
                // nothing sensible to do on the cleaner thread
            }
        }
    }
}
