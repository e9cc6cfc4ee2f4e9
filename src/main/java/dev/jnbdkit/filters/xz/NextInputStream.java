package dev.jnbdkit.filters.xz;

import dev.jnbdkit.spi.IoBuffer;
import dev.jnbdkit.spi.Next;
import dev.jnbdkit.spi.PluginException;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import org.tukaani.xz.SeekableInputStream;

/**
 * The compressed file (the next layer) as the seekable stream Tukaani's
 * {@link org.tukaani.xz.SeekableXZInputStream} reads: positioned reads of the next layer through
 * a buffer of {@link #BUFFER} bytes, so the decoder's small reads do not each become a request.
 * A failed read of the next layer travels through the decoder as a {@link NextReadFailed}, so the
 * client gets the next layer's errno, not a decoding error. Not thread-safe (one connection's,
 * whose requests the filter serializes).
 */
final class NextInputStream extends SeekableInputStream {
    static final int BUFFER = 256 * 1024;

    /** A read of the next layer failed; {@link #failure} is what it threw. */
    static final class NextReadFailed extends IOException {
        final PluginException failure;

        NextReadFailed(PluginException failure) {
            super(failure.getMessage(), failure);
            this.failure = failure;
        }
    }

    private Next next;
    private final long length;
    private final IoBuffer nativeBuf = IoBuffer.allocate(BUFFER);
    private final byte[] buf = new byte[BUFFER];
    private long bufStart; // file offset of buf[0]
    private int bufLen;    // valid bytes in buf
    private long pos;

    NextInputStream(Next next, long length) {
        this.next = next;
        this.length = length;
    }

    /** The connection's next layer for the reads that follow (a retrying layer may have replaced it). */
    void use(Next n) { this.next = n; }

    @Override public long length() { return length; }

    @Override public long position() { return pos; }

    @Override
    public void seek(long p) throws IOException {
        if (p < 0) throw new IOException("negative seek position " + p);
        pos = p;
    }

    @Override
    public int read() throws IOException {
        if (!buffered() && !fill()) return -1;
        return buf[(int) (pos++ - bufStart)] & 0xff;
    }

    @Override
    public int read(byte[] dst, int off, int len) throws IOException {
        if (len == 0) return 0;
        if (!buffered() && !fill()) return -1;
        int at = (int) (pos - bufStart);
        int n = Math.min(len, bufLen - at);
        System.arraycopy(buf, at, dst, off, n);
        pos += n;
        return n;
    }

    private boolean buffered() { return pos >= bufStart && pos < bufStart + bufLen; }

    /** Reads the buffer's worth from {@link #pos}; false at the end of the file. */
    private boolean fill() throws NextReadFailed {
        if (pos >= length) return false;
        int n = (int) Math.min(BUFFER, length - pos);
        IoBuffer part = nativeBuf.slice(0, n);
        try {
            next.pread(part, pos, 0);
        } catch (PluginException e) {
            bufLen = 0;
            throw new NextReadFailed(e);
        }
        MemorySegment.copy(part.segment(), ValueLayout.JAVA_BYTE, 0, buf, 0, n);
        bufStart = pos;
        bufLen = n;
        return true;
    }
}
