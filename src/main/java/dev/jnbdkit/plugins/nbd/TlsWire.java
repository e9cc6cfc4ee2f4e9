package dev.jnbdkit.plugins.nbd;

import dev.jnbdkit.server.tls.RecordStreams;
import org.bouncycastle.tls.TlsNoCloseNotifyException;
import org.bouncycastle.tls.TlsProtocol;

import java.io.IOException;
import java.nio.ByteBuffer;

/** An established TLS session (BouncyCastle, blocking) over a plaintext wire. */
final class TlsWire implements Wire {
    /** A TLS record holds 16 KiB; larger copies buy nothing. */
    private static final int CHUNK = 64 * 1024;

    private final Wire plain;
    private final TlsProtocol protocol;
    private final byte[] readBuf = new byte[CHUNK];
    private final byte[] writeBuf = new byte[CHUNK];

    TlsWire(Wire plain, TlsProtocol protocol) {
        this.plain = plain;
        this.protocol = protocol;
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        int want = Math.min(dst.remaining(), readBuf.length);
        if (want == 0) return 0;
        int n;
        try {
            n = protocol.readApplicationData(readBuf, 0, want);
        } catch (TlsNoCloseNotifyException e) {
            return -1;
        }
        if (n > 0) dst.put(readBuf, 0, n);
        return n;
    }

    @Override
    public synchronized void write(ByteBuffer... srcs) throws IOException {
        // Gathered into records so that a request header and its payload leave together.
        RecordStreams.writeGathered(protocol, writeBuf, srcs);
    }

    @Override
    public void close() {
        // Closing the socket first wakes a reader blocked in readApplicationData.
        plain.close();
        try {
            protocol.close();
        } catch (IOException | RuntimeException ignored) {
            // the socket is gone already
        }
    }
}
