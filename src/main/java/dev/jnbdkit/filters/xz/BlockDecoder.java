package dev.jnbdkit.filters.xz;

import dev.jnbdkit.spi.Next;
import dev.jnbdkit.spi.PluginException;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Decodes one xz block at a time with liblzma ({@code lzma_block_header_decode},
 * {@code lzma_block_decoder}, {@code lzma_code}) straight into a block cache slot: its compressed
 * bytes are read from the next layer in chunks of up to {@link #CHUNK} bytes, its header's and
 * the index's sizes must agree, and liblzma verifies the block's check (CRC32, CRC64, SHA-256)
 * before it reports the end of the block. One connection's (whose requests the filter
 * serializes): the liblzma stream is kept between blocks, so its dictionary is reused.
 *
 * <p>All the memory liblzma is handed (the stream, the block, the filter chain, the input chunk)
 * is this decoder's arena's, closed only after {@code lzma_end}; the output is a cache slot,
 * which lives as long as the connection.
 */
final class BlockDecoder implements AutoCloseable {
    /** The most compressed bytes read from the next layer at once. */
    static final long CHUNK = 4L << 20;

    /** A block that liblzma (or the index) says is damaged; the message says how. */
    static final class Damaged extends Exception {
        Damaged(String message) { super(message); }
    }

    private final Arena arena = Arena.ofShared();
    private final MemorySegment stream = arena.allocate(Lzma.STREAM_SIZE, 8);
    private final MemorySegment block = arena.allocate(Lzma.BLOCK_SIZE, 8);
    private final MemorySegment filters = arena.allocate(Lzma.FILTERS * Lzma.FILTER_SIZE, 8);
    private final MemorySegment chunk;

    /** {@code largestTotal}: the largest block's size in the file; the input chunk is no larger. */
    BlockDecoder(long largestTotal) {
        this.chunk = arena.allocate(Math.max(1, Math.min(CHUNK, largestTotal)), 8);
    }

    /**
     * Decodes block {@code b} of {@code index} into {@code out} (at least the block's size).
     * A failed read of the next layer is its PluginException, unchanged.
     */
    void decode(Next next, XzIndex index, int b, MemorySegment out) throws Damaged {
        long fileOffset = index.fileOffset(b), total = index.totalSize(b), size = index.size(b);
        long n = Math.min(chunk.byteSize(), total);
        read(next, n, fileOffset);
        int first = chunk.get(JAVA_BYTE, 0) & 0xff;
        if (first == 0) throw new Damaged("unexpected invalid block in file, header[0] = 0");
        int headerSize = (first + 1) * 4;
        if (headerSize > n) throw new Damaged("invalid block header (its size " + headerSize + " exceeds the block's)");
        try {
            startBlock(index, b, headerSize, size);
            stream.set(ADDRESS, Lzma.STREAM_NEXT_IN, chunk.asSlice(headerSize));
            stream.set(JAVA_LONG, Lzma.STREAM_AVAIL_IN, n - headerSize);
            stream.set(ADDRESS, Lzma.STREAM_NEXT_OUT, out);
            stream.set(JAVA_LONG, Lzma.STREAM_AVAIL_OUT, size);
            long consumed = n;
            while (true) {
                if (stream.get(JAVA_LONG, Lzma.STREAM_AVAIL_IN) == 0 && consumed < total) {
                    long m = Math.min(chunk.byteSize(), total - consumed);
                    read(next, m, fileOffset + consumed);
                    stream.set(ADDRESS, Lzma.STREAM_NEXT_IN, chunk);
                    stream.set(JAVA_LONG, Lzma.STREAM_AVAIL_IN, m);
                    consumed += m;
                }
                int action = consumed == total ? Lzma.FINISH : Lzma.RUN;
                int ret = (int) Lzma.H.CODE.invokeExact(stream, action);
                if (ret == Lzma.STREAM_END) break;
                if (ret != Lzma.OK) throw new Damaged("could not parse block data (" + Lzma.describe(ret) + ")");
            }
            long decoded = stream.get(JAVA_LONG, Lzma.STREAM_TOTAL_OUT);
            if (decoded != size) throw new Damaged("the block holds " + decoded + " bytes, the index says " + size);
        } catch (Damaged | PluginException e) {
            throw e;
        } catch (Throwable t) {
            throw Lzma.rethrow(t);
        }
    }

    /** Decodes block {@code b}'s header (in the chunk) and points the stream's block decoder at it. */
    private void startBlock(XzIndex index, int b, int headerSize, long size) throws Throwable {
        block.fill((byte) 0);
        filters.fill((byte) 0);
        block.set(JAVA_INT, Lzma.BLOCK_VERSION, 0);
        block.set(JAVA_INT, Lzma.BLOCK_HEADER_SIZE, headerSize);
        block.set(JAVA_INT, Lzma.BLOCK_CHECK, index.check(b));
        block.set(ADDRESS, Lzma.BLOCK_FILTERS, filters);
        int ret = (int) Lzma.H.BLOCK_HEADER_DECODE.invokeExact(block, MemorySegment.NULL, chunk);
        if (ret != Lzma.OK) throw new Damaged("invalid block header (" + Lzma.describe(ret) + ")");
        try {
            ret = (int) Lzma.H.BLOCK_COMPRESSED_SIZE.invokeExact(block, index.unpaddedSize(b));
            if (ret != Lzma.OK) throw new Damaged("cannot calculate compressed size (" + Lzma.describe(ret) + ")");
            long headerUncompressed = block.get(JAVA_LONG, Lzma.BLOCK_UNCOMPRESSED_SIZE);
            if (headerUncompressed == Lzma.VLI_UNKNOWN) block.set(JAVA_LONG, Lzma.BLOCK_UNCOMPRESSED_SIZE, size);
            else if (headerUncompressed != size) {
                throw new Damaged("the block header says " + headerUncompressed + " bytes, the index " + size);
            }
            ret = (int) Lzma.H.BLOCK_DECODER.invokeExact(stream, block);
            if (ret != Lzma.OK) throw new Damaged("invalid block (" + Lzma.describe(ret) + ")");
        } finally {
            freeFilterOptions();
        }
    }

    /** The decoder copied what it needs of the filter options lzma_block_header_decode allocated. */
    private void freeFilterOptions() throws Throwable {
        for (int i = 0; i < Lzma.FILTERS; i++) {
            long at = i * Lzma.FILTER_SIZE;
            MemorySegment options = filters.get(ADDRESS, at + 8);
            if (!options.equals(MemorySegment.NULL)) Lzma.H.FREE.invokeExact(options);
            filters.set(ADDRESS, at + 8, MemorySegment.NULL);
            if (filters.get(JAVA_LONG, at) == Lzma.VLI_UNKNOWN) break;
        }
    }

    private void read(Next next, long n, long offset) {
        next.pread(new XzIndex.Wrapped(chunk.asSlice(0, n)), offset, 0);
    }

    @Override
    public void close() {
        try {
            Lzma.H.END.invokeExact(stream); // a no-op on a stream never started (all zero)
        } catch (Throwable t) {
            throw Lzma.rethrow(t);
        } finally {
            arena.close();
        }
    }
}
