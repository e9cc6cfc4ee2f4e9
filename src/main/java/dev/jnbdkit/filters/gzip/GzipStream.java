package dev.jnbdkit.filters.gzip;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * Decompresses the first member of a gzip file (RFC 1952), as zlib's {@code inflate} with gzip
 * wrapping does for nbdkit: the header (magic, method, flags, optional extra, name, comment and
 * header CRC), the deflate data through the JDK's {@link Inflater} (zlib itself, in raw mode), then
 * the trailer's CRC-32 and length checks. What follows the first member is ignored. Errors carry
 * zlib's own texts ({@code incorrect header check}, {@code invalid block type}, {@code incorrect
 * data check}...; a file cut short gets nbdkit's {@link #TRUNCATED}). Data moves between native
 * buffers: input from {@link Input}, output to {@link Output}, {@link #CHUNK} bytes at a time.
 */
final class GzipStream {
    /** Bytes read from the compressed file, and written to the output, at a time. */
    static final int CHUNK = 1 << 20;
    /**
     * What zlib's inflate says of a file that ends before its stream does (Z_BUF_ERROR, which has
     * no text of its own), as nbdkit reports it.
     */
    static final String TRUNCATED = "unknown error: -5";

    /** The compressed file. */
    interface Input {
        long size();

        /** Fills {@code dst} with the bytes from {@code offset}. */
        void read(MemorySegment dst, long offset);
    }

    /** Where the uncompressed bytes go, in order. */
    interface Output {
        void write(MemorySegment src, long offset);
    }

    /** A zlib error: {@code op} failed with zlib's {@code message}. */
    static final class GzipException extends Exception {
        GzipException(String message) { super(message); }
    }

    private final Input in;
    private final long inSize;
    private final ByteBuffer inBuf;
    private final MemorySegment inSeg;
    private long inOffset;

    private GzipStream(Input in, Arena arena) {
        this.in = in;
        this.inSize = in.size();
        this.inSeg = arena.allocate(CHUNK);
        this.inBuf = inSeg.asByteBuffer();
        inBuf.limit(0);
    }

    /** Decompresses the first member of {@code in} into {@code out}; returns its uncompressed size. */
    static long decompress(Input in, Output out) throws GzipException {
        try (Arena arena = Arena.ofConfined()) {
            return new GzipStream(in, arena).run(out, arena);
        }
    }

    private long run(Output out, Arena arena) throws GzipException {
        header();
        MemorySegment outSeg = arena.allocate(CHUNK);
        ByteBuffer outBuf = outSeg.asByteBuffer();
        Inflater inflater = new Inflater(true);
        CRC32 crc = new CRC32();
        long total = 0;
        try {
            // What the header left of the first chunk is the start of the deflate data.
            if (inBuf.hasRemaining()) inflater.setInput(inBuf);
            while (!inflater.finished()) {
                if (inflater.needsInput()) {
                    if (!inBuf.hasRemaining() && !fill()) throw new GzipException(TRUNCATED);
                    inflater.setInput(inBuf);
                }
                int n;
                try {
                    n = inflater.inflate(outBuf);
                } catch (DataFormatException e) {
                    throw new GzipException(e.getMessage() == null ? "invalid deflate data" : e.getMessage());
                }
                if (n == 0 && inflater.needsDictionary()) throw new GzipException("need dictionary");
                if (!outBuf.hasRemaining() || inflater.finished()) {
                    int len = outBuf.position();
                    if (len > 0) {
                        MemorySegment done = outSeg.asSlice(0, len);
                        crc.update(done.asByteBuffer());
                        out.write(done, total);
                        total += len;
                    }
                    outBuf.clear();
                }
            }
        } finally {
            inflater.end();
        }
        // Inflater consumed inBuf up to the end of the deflate data: the trailer is next.
        long storedCrc = u32();
        long storedLength = u32();
        if (storedCrc != crc.getValue()) throw new GzipException("incorrect data check");
        if (storedLength != (total & 0xffffffffL)) throw new GzipException("incorrect length check");
        return total;
    }

    private void header() throws GzipException {
        CRC32 hcrc = new CRC32();
        int id1 = byteOrEof(hcrc), id2 = byteOrEof(hcrc);
        if (id1 != 0x1f || id2 != 0x8b) throw new GzipException("incorrect header check");
        int method = byteOrEof(hcrc);
        if (method != 8) throw new GzipException("unknown compression method");
        int flags = byteOrEof(hcrc);
        if ((flags & 0xe0) != 0) throw new GzipException("unknown header flags set");
        for (int i = 0; i < 6; i++) byteOrEof(hcrc); // mtime, extra flags, OS
        if ((flags & 0x04) != 0) { // FEXTRA
            int xlen = byteOrEof(hcrc) | byteOrEof(hcrc) << 8;
            for (int i = 0; i < xlen; i++) byteOrEof(hcrc);
        }
        if ((flags & 0x08) != 0) while (byteOrEof(hcrc) != 0) { } // FNAME
        if ((flags & 0x10) != 0) while (byteOrEof(hcrc) != 0) { } // FCOMMENT
        if ((flags & 0x02) != 0) { // FHCRC: the low 16 bits of the CRC-32 of the header so far
            long want = hcrc.getValue() & 0xffff;
            int got = byteOrEof(null) | byteOrEof(null) << 8;
            if (got != want) throw new GzipException("header crc mismatch");
        }
    }

    private long u32() throws GzipException {
        long v = 0;
        for (int i = 0; i < 4; i++) v |= (long) byteOrEof(null) << (8 * i);
        return v;
    }

    /** The next byte of the compressed file, added to {@code crc} if given. */
    private int byteOrEof(CRC32 crc) throws GzipException {
        if (!inBuf.hasRemaining() && !fill()) throw new GzipException(TRUNCATED);
        int b = inBuf.get() & 0xff;
        if (crc != null) crc.update(b);
        return b;
    }

    /** Reads the next chunk of the compressed file into inBuf; false at the end of the file. */
    private boolean fill() {
        long n = Math.min(CHUNK, inSize - inOffset);
        if (n <= 0) return false;
        in.read(inSeg.asSlice(0, n), inOffset);
        inOffset += n;
        inBuf.clear();
        inBuf.limit((int) n);
        return true;
    }
}
