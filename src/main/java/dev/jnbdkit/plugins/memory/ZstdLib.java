package dev.jnbdkit.plugins.memory;

import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.PluginException;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.util.concurrent.ConcurrentLinkedQueue;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The system's libzstd ({@code libzstd.so.1}, Debian's libzstd1) through FFM, for
 * {@code allocator=zstd}: no bundled native code, and the library is opened only when this class
 * loads, that is when a plugin chooses that allocator (or {@code --dump-plugin} asks whether it
 * can). Compression and decompression contexts are pooled: making one costs more than
 * compressing a 32 KiB page.
 */
final class ZstdLib {
    private ZstdLib() {}

    /** nbdkit's allocator compresses at zstd's default level. */
    static final int LEVEL = 3;

    /** The library alone (dlopen, no downcall handles: those cost tens of ms to make at first). */
    private static final class Lib {
        static final SymbolLookup LIB = open();

        private static SymbolLookup open() {
            try {
                return SymbolLookup.libraryLookup("libzstd.so.1", Arena.global());
            } catch (IllegalArgumentException e) {
                throw new PluginException(Errno.ENOENT,
                        "allocator=zstd: cannot load libzstd.so.1 (Debian package libzstd1): " + e.getMessage());
            }
        }
    }

    private static final class Handles {
        static final Linker L = Linker.nativeLinker();
        // critical(true): heap arrays (the compressed pages) go to the library without a copy
        static final Linker.Option HEAP = Linker.Option.critical(true);
        static final MethodHandle CREATE_CCTX = h("ZSTD_createCCtx", FunctionDescriptor.of(ADDRESS));
        static final MethodHandle CREATE_DCTX = h("ZSTD_createDCtx", FunctionDescriptor.of(ADDRESS));
        static final MethodHandle COMPRESS = h("ZSTD_compressCCtx",
                FunctionDescriptor.of(JAVA_LONG, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG, JAVA_INT), HEAP);
        static final MethodHandle DECOMPRESS = h("ZSTD_decompressDCtx",
                FunctionDescriptor.of(JAVA_LONG, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG), HEAP);
        static final MethodHandle BOUND = h("ZSTD_compressBound", FunctionDescriptor.of(JAVA_LONG, JAVA_LONG));
        static final MethodHandle IS_ERROR = h("ZSTD_isError", FunctionDescriptor.of(JAVA_INT, JAVA_LONG));
        static final MethodHandle ERROR_NAME = h("ZSTD_getErrorName", FunctionDescriptor.of(ADDRESS, JAVA_LONG));

        private static MethodHandle h(String name, FunctionDescriptor d, Linker.Option... o) {
            return L.downcallHandle(Lib.LIB.findOrThrow(name), d, o);
        }
    }

    private static final ConcurrentLinkedQueue<MemorySegment> CCTX = new ConcurrentLinkedQueue<>();
    private static final ConcurrentLinkedQueue<MemorySegment> DCTX = new ConcurrentLinkedQueue<>();

    /** Whether libzstd can be loaded here ({@code --dump-plugin}'s {@code zstd=}). */
    static boolean available() {
        try {
            return Lib.LIB != null;
        } catch (PluginException | ExceptionInInitializerError | NoClassDefFoundError e) {
            return false;
        }
    }

    /** Loads the library now: a missing one is a start-up error, not a failed request. */
    static void load() {
        try {
            Handles.BOUND.hashCode();
        } catch (ExceptionInInitializerError e) {
            if (e.getCause() instanceof PluginException p) throw p;
            throw e;
        }
    }

    static long compressBound(long n) {
        try {
            return (long) Handles.BOUND.invokeExact(n);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Compresses {@code src} into {@code dst}; returns the compressed length. */
    static long compress(MemorySegment dst, MemorySegment src) {
        MemorySegment ctx = CCTX.poll();
        try {
            if (ctx == null) ctx = (MemorySegment) Handles.CREATE_CCTX.invokeExact();
            long r = (long) Handles.COMPRESS.invokeExact(ctx, dst, dst.byteSize(), src, src.byteSize(), LEVEL);
            return check("ZSTD_compressCCtx", r);
        } catch (Throwable t) {
            throw rethrow(t);
        } finally {
            if (ctx != null && !ctx.equals(MemorySegment.NULL)) CCTX.offer(ctx);
        }
    }

    /** Decompresses {@code src} (one frame) into {@code dst}; returns the decompressed length. */
    static long decompress(MemorySegment dst, MemorySegment src) {
        MemorySegment ctx = DCTX.poll();
        try {
            if (ctx == null) ctx = (MemorySegment) Handles.CREATE_DCTX.invokeExact();
            long r = (long) Handles.DECOMPRESS.invokeExact(ctx, dst, dst.byteSize(), src, src.byteSize());
            return check("ZSTD_decompressDCtx", r);
        } catch (Throwable t) {
            throw rethrow(t);
        } finally {
            if (ctx != null && !ctx.equals(MemorySegment.NULL)) DCTX.offer(ctx);
        }
    }

    private static long check(String what, long r) throws Throwable {
        if ((int) Handles.IS_ERROR.invokeExact(r) == 0) return r;
        MemorySegment name = (MemorySegment) Handles.ERROR_NAME.invokeExact(r);
        throw new PluginException(Errno.EIO, what + ": " + name.reinterpret(256).getString(0));
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) return r;
        if (t instanceof Error e) throw e;
        return new IllegalStateException(t);
    }
}
