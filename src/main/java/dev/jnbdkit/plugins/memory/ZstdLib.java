package dev.jnbdkit.plugins.memory;

import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.PluginException;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.util.NoSuchElementException;
import java.util.concurrent.ConcurrentLinkedQueue;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The system's libzstd ({@code libzstd.so.1}, Debian's libzstd1) through FFM, for
 * {@code allocator=zstd}: no bundled native code, and the library is opened only when this class
 * is first used, that is when a plugin chooses that allocator (or {@code --dump-plugin} asks
 * whether it can). Whether it loaded is recorded once ({@link Linked}): a missing library fails
 * every use with the same clear message, not only the first (a static initialiser that threw
 * would leave a NoClassDefFoundError for the next). Compression and decompression contexts are
 * pooled: making one costs more than compressing a 32 KiB page.
 */
final class ZstdLib {
    private ZstdLib() {}

    /** nbdkit's allocator compresses at zstd's default level. */
    static final int LEVEL = 3;

    static final String LIBRARY = "libzstd.so.1";

    /** The downcalls into one loaded libzstd (a record: its handles fold to constants). */
    record Native(MethodHandle createCctx, MethodHandle createDctx, MethodHandle compress,
                  MethodHandle decompress, MethodHandle bound, MethodHandle isError, MethodHandle errorName) {}

    /** The outcome of loading the library: its downcalls, or why there are none. */
    sealed interface Linked {
        /** The downcalls; a fresh PluginException with the same message on every call when loading failed. */
        Native require();
    }

    record Loaded(Native lib) implements Linked {
        @Override public Native require() { return lib; }
    }

    record Failed(String message) implements Linked {
        @Override public Native require() { throw new PluginException(Errno.ENOENT, message); }
    }

    /** Opens {@code library} and makes the downcall handles; never throws. */
    static Linked link(String library) {
        try {
            SymbolLookup lib = SymbolLookup.libraryLookup(library, Arena.global());
            Linker l = Linker.nativeLinker();
            // critical(true): heap arrays (the compressed pages) go to the library without a copy
            Linker.Option heap = Linker.Option.critical(true);
            return new Loaded(new Native(
                    l.downcallHandle(lib.findOrThrow("ZSTD_createCCtx"), FunctionDescriptor.of(ADDRESS)),
                    l.downcallHandle(lib.findOrThrow("ZSTD_createDCtx"), FunctionDescriptor.of(ADDRESS)),
                    l.downcallHandle(lib.findOrThrow("ZSTD_compressCCtx"),
                            FunctionDescriptor.of(JAVA_LONG, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG, JAVA_INT), heap),
                    l.downcallHandle(lib.findOrThrow("ZSTD_decompressDCtx"),
                            FunctionDescriptor.of(JAVA_LONG, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG), heap),
                    l.downcallHandle(lib.findOrThrow("ZSTD_compressBound"), FunctionDescriptor.of(JAVA_LONG, JAVA_LONG)),
                    l.downcallHandle(lib.findOrThrow("ZSTD_isError"), FunctionDescriptor.of(JAVA_INT, JAVA_LONG)),
                    l.downcallHandle(lib.findOrThrow("ZSTD_getErrorName"), FunctionDescriptor.of(ADDRESS, JAVA_LONG))));
        } catch (IllegalArgumentException | NoSuchElementException | IllegalCallerException e) {
            // no such file, a libzstd without these symbols, native access denied
            return new Failed("allocator=zstd: cannot load " + library + " (Debian package libzstd1): " + e.getMessage());
        }
    }

    /** Loaded on first use (dlopen and the handles cost tens of ms: not for servers that never ask). */
    private static final class Holder {
        static final Linked LINKED = link(LIBRARY);
    }

    private static Native lib() { return Holder.LINKED.require(); }

    private static final ConcurrentLinkedQueue<MemorySegment> CCTX = new ConcurrentLinkedQueue<>();
    private static final ConcurrentLinkedQueue<MemorySegment> DCTX = new ConcurrentLinkedQueue<>();

    /**
     * Whether libzstd can be loaded here ({@code --dump-plugin}'s {@code zstd=}): dlopen alone,
     * so that answering does not make the downcall handles (the FFM linker's first use).
     */
    static boolean available() {
        try {
            SymbolLookup.libraryLookup(LIBRARY, Arena.global());
            return true;
        } catch (IllegalArgumentException | IllegalCallerException e) {
            return false;
        }
    }

    /** Loads the library now: a missing one is a start-up error, not a failed request. */
    static void load() { lib(); }

    static long compressBound(long n) {
        try {
            return (long) lib().bound().invokeExact(n);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Compresses {@code src} into {@code dst}; returns the compressed length. */
    static long compress(MemorySegment dst, MemorySegment src) {
        Native z = lib();
        MemorySegment ctx = CCTX.poll();
        try {
            if (ctx == null) ctx = (MemorySegment) z.createCctx().invokeExact();
            long r = (long) z.compress().invokeExact(ctx, dst, dst.byteSize(), src, src.byteSize(), LEVEL);
            return check(z, "ZSTD_compressCCtx", r);
        } catch (Throwable t) {
            throw rethrow(t);
        } finally {
            if (ctx != null && !ctx.equals(MemorySegment.NULL)) CCTX.offer(ctx);
        }
    }

    /** Decompresses {@code src} (one frame) into {@code dst}; returns the decompressed length. */
    static long decompress(MemorySegment dst, MemorySegment src) {
        Native z = lib();
        MemorySegment ctx = DCTX.poll();
        try {
            if (ctx == null) ctx = (MemorySegment) z.createDctx().invokeExact();
            long r = (long) z.decompress().invokeExact(ctx, dst, dst.byteSize(), src, src.byteSize());
            return check(z, "ZSTD_decompressDCtx", r);
        } catch (Throwable t) {
            throw rethrow(t);
        } finally {
            if (ctx != null && !ctx.equals(MemorySegment.NULL)) DCTX.offer(ctx);
        }
    }

    private static long check(Native z, String what, long r) throws Throwable {
        if ((int) z.isError().invokeExact(r) == 0) return r;
        MemorySegment name = (MemorySegment) z.errorName().invokeExact(r);
        throw new PluginException(Errno.EIO, what + ": " + name.reinterpret(256).getString(0));
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) return r;
        if (t instanceof Error e) throw e;
        return new IllegalStateException(t);
    }
}
