package dev.jnbdkit.server.tls;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;

import org.bouncycastle.tls.TlsProtocol;

/**
 * A plaintext byte channel as the blocking streams BouncyCastle reads and writes TLS records on
 * (the server's transport, the nbd plugin's wire). Reads go straight to the channel, with no
 * read-ahead past what BouncyCastle asks for (STARTTLS hands over mid-stream).
 */
public final class RecordStreams {
    private RecordStreams() {}

    /** Reads into a buffer; 0 means "try again", -1 end of stream. */
    @FunctionalInterface
    public interface Reader {
        int read(ByteBuffer dst) throws IOException;
    }

    /** Writes all of a buffer. */
    @FunctionalInterface
    public interface Writer {
        void write(ByteBuffer src) throws IOException;
    }

    public static InputStream input(Reader r) {
        return new InputStream() {
            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (len == 0) return 0;
                int n;
                do {
                    n = r.read(ByteBuffer.wrap(b, off, len));
                } while (n == 0);
                return n;
            }
        };
    }

    /**
     * Writes {@code srcs} as application data, gathered through {@code buf} into records of at
     * most {@code buf.length} bytes, so that a header and its payload leave in one record. The
     * caller holds its connection's write lock.
     */
    public static void writeGathered(TlsProtocol protocol, byte[] buf, ByteBuffer... srcs) throws IOException {
        int fill = 0;
        for (ByteBuffer b : srcs) {
            while (b.hasRemaining()) {
                if (fill == buf.length) {
                    protocol.writeApplicationData(buf, 0, fill);
                    fill = 0;
                }
                int n = Math.min(b.remaining(), buf.length - fill);
                b.get(buf, fill, n);
                fill += n;
            }
        }
        if (fill > 0) protocol.writeApplicationData(buf, 0, fill);
    }

    public static OutputStream output(Writer w) {
        return new OutputStream() {
            @Override public void write(int b) throws IOException { write(new byte[] {(byte) b}, 0, 1); }

            @Override public void write(byte[] b, int off, int len) throws IOException { w.write(ByteBuffer.wrap(b, off, len)); }
        };
    }
}
