package dev.jnbdkit.filters.xz;

import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.IoBuffer;
import dev.jnbdkit.spi.Next;
import dev.jnbdkit.spi.PluginException;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The blocks of an xz file, from its indexes: for each block (numbered from 0 across all
 * streams) its uncompressed offset and size, where it starts in the file, its unpadded and total
 * sizes and its stream's check type. liblzma decodes the indexes, walking the file from its end
 * as xz does (stream footer, index, stream header, stream padding, then the stream before);
 * liblzma's index is then copied into a table of its own (native memory the garbage collector
 * frees, which only Java reads) and freed. Immutable.
 */
final class XzIndex {
    /** Per block: uncompressed offset, uncompressed size, file offset, unpadded size, total size, check. */
    private static final int FIELDS = 6;
    /** An index this large would list some 500 million blocks: refused rather than read. */
    private static final long MAX_INDEX = 1L << 30;

    private final MemorySegment table;
    final int blocks;
    final long streams;
    final long size;
    final long largestBlock;
    final long largestTotal;

    private XzIndex(MemorySegment table, int blocks, long streams, long size, long largestBlock, long largestTotal) {
        this.table = table;
        this.blocks = blocks;
        this.streams = streams;
        this.size = size;
        this.largestBlock = largestBlock;
        this.largestTotal = largestTotal;
    }

    long start(int b) { return field(b, 0); }
    long size(int b) { return field(b, 1); }
    long fileOffset(int b) { return field(b, 2); }
    long unpaddedSize(int b) { return field(b, 3); }
    long totalSize(int b) { return field(b, 4); }
    int check(int b) { return (int) field(b, 5); }

    private long field(int b, int f) { return table.getAtIndex(JAVA_LONG, (long) b * FIELDS + f); }

    /** The block holding uncompressed {@code offset} ({@code 0 <= offset < size}): the last that starts at or before it. */
    int find(long offset) {
        int lo = 0, hi = blocks - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (start(mid) <= offset) lo = mid;
            else hi = mid - 1;
        }
        return lo;
    }

    /** Reads the indexes of the xz file {@code next} ({@code fileSize} bytes, a multiple of 4). */
    static XzIndex read(Next next, long fileSize) {
        Lzma.load();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment combined = MemorySegment.NULL;
            try {
                combined = readAll(next, fileSize, arena);
                return copy(combined, arena);
            } finally {
                if (!combined.equals(MemorySegment.NULL)) Lzma.H.INDEX_END.invokeExact(combined, MemorySegment.NULL);
            }
        } catch (Throwable t) {
            throw Lzma.rethrow(t);
        }
    }

    /** All the streams' indexes, combined by liblzma into one (the caller frees it). */
    private static MemorySegment readAll(Next next, long fileSize, Arena arena) throws Throwable {
        MemorySegment footer = arena.allocate(Lzma.FLAGS_SIZE, 8), header = arena.allocate(Lzma.FLAGS_SIZE, 8);
        MemorySegment word = arena.allocate(Lzma.STREAM_HEADER_SIZE);
        MemorySegment indexPtr = arena.allocate(ADDRESS), memlimit = arena.allocate(JAVA_LONG), inPos = arena.allocate(JAVA_LONG);
        MemorySegment combined = MemorySegment.NULL;
        long pos = fileSize, padding = 0;
        try {
            while (pos > 0) {
                if (pos < 2L * Lzma.STREAM_HEADER_SIZE) throw invalid("xz: corrupted file at " + pos);
                pread(next, word, pos - Lzma.STREAM_HEADER_SIZE);
                if (word.get(JAVA_INT, 8) == 0) { // stream padding (a footer ends with "YZ")
                    padding += 4;
                    pos -= 4;
                    continue;
                }
                pos -= Lzma.STREAM_HEADER_SIZE;
                int ret = (int) Lzma.H.STREAM_FOOTER_DECODE.invokeExact(footer, word);
                if (ret != Lzma.OK) throw invalid("xz: invalid stream footer (error " + ret + ")");
                long indexSize = footer.get(JAVA_LONG, Lzma.FLAGS_BACKWARD_SIZE);
                if (pos < indexSize + Lzma.STREAM_HEADER_SIZE) throw invalid("xz: invalid stream footer");
                if (indexSize > MAX_INDEX) throw invalid("xz: index of " + indexSize + " bytes is too large");
                pos -= indexSize;
                IoBuffer indexBytes = IoBuffer.allocate(indexSize);
                next.pread(indexBytes, pos, 0);
                memlimit.set(JAVA_LONG, 0, -1L);
                inPos.set(JAVA_LONG, 0, 0);
                indexPtr.set(ADDRESS, 0, MemorySegment.NULL);
                ret = (int) Lzma.H.INDEX_BUFFER_DECODE.invokeExact(indexPtr, memlimit, MemorySegment.NULL,
                        indexBytes.segment(), inPos, indexSize);
                if (ret != Lzma.OK) throw invalid("xz: could not parse index (error " + ret + ")");
                MemorySegment index = indexPtr.get(ADDRESS, 0);
                try {
                    if (inPos.get(JAVA_LONG, 0) != indexSize) throw invalid("xz: invalid stream index (error 9)");
                    long blocksSize = (long) Lzma.H.INDEX_TOTAL_SIZE.invokeExact(index);
                    if (pos < blocksSize + Lzma.STREAM_HEADER_SIZE) throw invalid("xz: invalid stream index (error 9)");
                    pos -= blocksSize + Lzma.STREAM_HEADER_SIZE;
                    pread(next, word, pos);
                    ret = (int) Lzma.H.STREAM_HEADER_DECODE.invokeExact(header, word);
                    if (ret != Lzma.OK) throw invalid("xz: invalid stream header (error " + ret + ")");
                    ret = (int) Lzma.H.STREAM_FLAGS_COMPARE.invokeExact(header, footer);
                    if (ret != Lzma.OK) throw invalid("xz: header and footer of stream are not equal (error " + ret + ")");
                    ret = (int) Lzma.H.INDEX_STREAM_FLAGS.invokeExact(index, footer);
                    if (ret != Lzma.OK) throw invalid("xz: cannot read stream_flags from index (error " + ret + ")");
                    ret = (int) Lzma.H.INDEX_STREAM_PADDING.invokeExact(index, padding);
                    if (ret != Lzma.OK) throw invalid("xz: cannot set stream_padding in index (error " + ret + ")");
                    padding = 0;
                    if (!combined.equals(MemorySegment.NULL)) {
                        // on success the later streams' index becomes part of this one (and is freed with it)
                        ret = (int) Lzma.H.INDEX_CAT.invokeExact(index, combined, MemorySegment.NULL);
                        if (ret != Lzma.OK) throw invalid("xz: cannot combine indexes");
                    }
                    combined = index;
                    index = MemorySegment.NULL;
                } finally {
                    if (!index.equals(MemorySegment.NULL)) Lzma.H.INDEX_END.invokeExact(index, MemorySegment.NULL);
                }
            }
            if (combined.equals(MemorySegment.NULL)) throw invalid("xz: corrupted file at 0");
            MemorySegment result = combined;
            combined = MemorySegment.NULL;
            return result;
        } finally {
            if (!combined.equals(MemorySegment.NULL)) Lzma.H.INDEX_END.invokeExact(combined, MemorySegment.NULL);
        }
    }

    /** liblzma's combined index as our table. */
    private static XzIndex copy(MemorySegment index, Arena arena) throws Throwable {
        long streams = (long) Lzma.H.INDEX_STREAM_COUNT.invokeExact(index);
        long count = (long) Lzma.H.INDEX_BLOCK_COUNT.invokeExact(index);
        long size = (long) Lzma.H.INDEX_UNCOMPRESSED_SIZE.invokeExact(index);
        if (count > Integer.MAX_VALUE / FIELDS) throw invalid("xz: too many blocks (" + count + ")");
        MemorySegment table = Arena.ofAuto().allocate(Math.max(1, count) * FIELDS * 8L, 8);
        MemorySegment iter = arena.allocate(Lzma.ITER_SIZE, 8);
        Lzma.H.INDEX_ITER_INIT.invokeExact(iter, index);
        long largest = 0, largestTotal = 0;
        int b = 0;
        while (b < count && (byte) Lzma.H.INDEX_ITER_NEXT.invokeExact(iter, Lzma.ITER_BLOCK) == 0) {
            long usize = iter.get(JAVA_LONG, Lzma.ITER_UNCOMPRESSED_SIZE), total = iter.get(JAVA_LONG, Lzma.ITER_TOTAL_SIZE);
            MemorySegment flags = iter.get(ADDRESS, Lzma.ITER_STREAM_FLAGS);
            if (flags.equals(MemorySegment.NULL)) throw invalid("xz: a stream of the index has no stream flags");
            flags = flags.reinterpret(Lzma.FLAGS_SIZE);
            long at = (long) b * FIELDS;
            table.setAtIndex(JAVA_LONG, at, iter.get(JAVA_LONG, Lzma.ITER_UNCOMPRESSED_FILE_OFFSET));
            table.setAtIndex(JAVA_LONG, at + 1, usize);
            table.setAtIndex(JAVA_LONG, at + 2, iter.get(JAVA_LONG, Lzma.ITER_COMPRESSED_FILE_OFFSET));
            table.setAtIndex(JAVA_LONG, at + 3, iter.get(JAVA_LONG, Lzma.ITER_UNPADDED_SIZE));
            table.setAtIndex(JAVA_LONG, at + 4, total);
            table.setAtIndex(JAVA_LONG, at + 5, flags.get(JAVA_INT, Lzma.FLAGS_CHECK));
            largest = Math.max(largest, usize);
            largestTotal = Math.max(largestTotal, total);
            b++;
        }
        if (b != count) throw invalid("xz: the index lists " + count + " blocks but holds " + b);
        return new XzIndex(table, b, streams, size, largest, largestTotal);
    }

    private static void pread(Next next, MemorySegment into, long offset) {
        next.pread(new Wrapped(into), offset, 0);
    }

    /** Our native memory as a buffer for the next layer's reads. */
    record Wrapped(MemorySegment segment) implements IoBuffer {
        @Override public void retain() {}
        @Override public void release() {}
    }

    private static PluginException invalid(String message) {
        return new PluginException(Errno.EINVAL, message);
    }
}
