package dev.jnbdkit.filters.xz;

import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.PluginException;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The system's liblzma ({@code liblzma.so.5}, Debian's liblzma5, which xz-utils and nbdkit's xz
 * filter use) through FFM: the xz index and block calls the filter makes, and the offsets of the
 * few fields of liblzma's structures it reads or sets (liblzma's ABI, the same since 5.0 on every
 * 64-bit Linux). The library is opened, and the downcall handles made, when the first xz
 * connection is prepared: nothing loads unless {@code --filter=xz} is used.
 *
 * <p>Every structure handed to liblzma lives in native memory of an arena that outlives the call
 * (and, for the decoder's, every later call until {@code lzma_end}).
 */
final class Lzma {
    private Lzma() {}

    // lzma_ret
    static final int OK = 0;
    static final int STREAM_END = 1;
    // lzma_action
    static final int RUN = 0;
    static final int FINISH = 3;
    /** lzma_index_iter_next's mode that visits every block. */
    static final int ITER_BLOCK = 2;
    /** LZMA_VLI_UNKNOWN: a size the block header does not give. */
    static final long VLI_UNKNOWN = -1L;
    /** LZMA_STREAM_HEADER_SIZE, also the stream footer's size. */
    static final int STREAM_HEADER_SIZE = 12;
    /** LZMA_FILTERS_MAX + 1 entries of {@code lzma_filter} (id, options). */
    static final int FILTERS = 5;
    static final long FILTER_SIZE = 16;

    /** lzma_stream: what the filter sets and reads (the rest stays zero, LZMA_STREAM_INIT). */
    static final long STREAM_SIZE = 136;
    static final long STREAM_NEXT_IN = 0, STREAM_AVAIL_IN = 8, STREAM_NEXT_OUT = 24, STREAM_AVAIL_OUT = 32,
            STREAM_TOTAL_OUT = 40;
    /** lzma_block. */
    static final long BLOCK_SIZE = 208;
    static final long BLOCK_VERSION = 0, BLOCK_HEADER_SIZE = 4, BLOCK_CHECK = 8, BLOCK_UNCOMPRESSED_SIZE = 24,
            BLOCK_FILTERS = 32;
    /** lzma_stream_flags. */
    static final long FLAGS_SIZE = 56;
    static final long FLAGS_BACKWARD_SIZE = 8, FLAGS_CHECK = 16;
    /** lzma_index_iter. */
    static final long ITER_SIZE = 304;
    static final long ITER_STREAM_FLAGS = 0, ITER_COMPRESSED_FILE_OFFSET = 128, ITER_UNCOMPRESSED_FILE_OFFSET = 136,
            ITER_UNCOMPRESSED_SIZE = 168, ITER_UNPADDED_SIZE = 176, ITER_TOTAL_SIZE = 184;

    private static final class Lib {
        static final SymbolLookup LIB = open();

        private static SymbolLookup open() {
            try {
                return SymbolLookup.libraryLookup("liblzma.so.5", Arena.global());
            } catch (IllegalArgumentException e) {
                throw new PluginException(Errno.ENOENT,
                        "xz: cannot load liblzma.so.5 (Debian package liblzma5): " + e.getMessage());
            }
        }
    }

    /** The downcall handles, made together on first use. */
    static final class H {
        private static final Linker L = Linker.nativeLinker();
        static final MethodHandle STREAM_FOOTER_DECODE = h("lzma_stream_footer_decode", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        static final MethodHandle STREAM_HEADER_DECODE = h("lzma_stream_header_decode", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        static final MethodHandle STREAM_FLAGS_COMPARE = h("lzma_stream_flags_compare", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        static final MethodHandle INDEX_BUFFER_DECODE = h("lzma_index_buffer_decode",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG));
        static final MethodHandle INDEX_TOTAL_SIZE = h("lzma_index_total_size", FunctionDescriptor.of(JAVA_LONG, ADDRESS));
        static final MethodHandle INDEX_STREAM_FLAGS = h("lzma_index_stream_flags", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        static final MethodHandle INDEX_STREAM_PADDING = h("lzma_index_stream_padding", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG));
        static final MethodHandle INDEX_CAT = h("lzma_index_cat", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS));
        static final MethodHandle INDEX_END = h("lzma_index_end", FunctionDescriptor.ofVoid(ADDRESS, ADDRESS));
        static final MethodHandle INDEX_STREAM_COUNT = h("lzma_index_stream_count", FunctionDescriptor.of(JAVA_LONG, ADDRESS));
        static final MethodHandle INDEX_BLOCK_COUNT = h("lzma_index_block_count", FunctionDescriptor.of(JAVA_LONG, ADDRESS));
        static final MethodHandle INDEX_UNCOMPRESSED_SIZE = h("lzma_index_uncompressed_size", FunctionDescriptor.of(JAVA_LONG, ADDRESS));
        static final MethodHandle INDEX_ITER_INIT = h("lzma_index_iter_init", FunctionDescriptor.ofVoid(ADDRESS, ADDRESS));
        static final MethodHandle INDEX_ITER_NEXT = h("lzma_index_iter_next", FunctionDescriptor.of(JAVA_BYTE, ADDRESS, JAVA_INT));
        static final MethodHandle BLOCK_HEADER_DECODE = h("lzma_block_header_decode", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS));
        static final MethodHandle BLOCK_COMPRESSED_SIZE = h("lzma_block_compressed_size", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG));
        static final MethodHandle BLOCK_DECODER = h("lzma_block_decoder", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        static final MethodHandle CODE = h("lzma_code", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
        static final MethodHandle END = h("lzma_end", FunctionDescriptor.ofVoid(ADDRESS));
        /** libc's free, for the filter options lzma_block_header_decode allocates with malloc. */
        static final MethodHandle FREE = L.downcallHandle(L.defaultLookup().findOrThrow("free"), FunctionDescriptor.ofVoid(ADDRESS));

        private static MethodHandle h(String name, FunctionDescriptor d) {
            return L.downcallHandle(Lib.LIB.findOrThrow(name), d);
        }
    }

    /** Loads the library and makes the handles now: a missing library fails the connection clearly. */
    static void load() {
        try {
            H.END.hashCode();
        } catch (ExceptionInInitializerError e) {
            if (e.getCause() instanceof PluginException p) throw p;
            throw e;
        } catch (NoClassDefFoundError e) { // a later connection, after the first failed to load it
            throw new PluginException(Errno.ENOENT, "xz: cannot load liblzma.so.5 (Debian package liblzma5)");
        }
    }

    /** liblzma's name and meaning of an lzma_ret, for log lines. */
    static String describe(int ret) {
        return "error " + ret + switch (ret) {
            case 3 -> ", LZMA_UNSUPPORTED_CHECK: the integrity check type is not supported";
            case 5 -> ", LZMA_MEM_ERROR: cannot allocate memory";
            case 6 -> ", LZMA_MEMLIMIT_ERROR: memory usage limit reached";
            case 7 -> ", LZMA_FORMAT_ERROR: file format not recognized";
            case 8 -> ", LZMA_OPTIONS_ERROR: invalid or unsupported options";
            case 9 -> ", LZMA_DATA_ERROR: compressed data is corrupt";
            case 10 -> ", LZMA_BUF_ERROR: the data ends too soon";
            case 11 -> ", LZMA_PROG_ERROR: invalid arguments";
            default -> "";
        };
    }

    /** A Throwable from invokeExact: what liblzma's calls can throw is unchecked already. */
    static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) return r;
        if (t instanceof Error e) throw e;
        return new IllegalStateException(t);
    }
}
