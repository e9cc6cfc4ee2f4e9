package dev.jnbdkit.server.tls;

import dev.jnbdkit.server.Transport;
import org.bouncycastle.tls.TlsNoCloseNotifyException;
import org.bouncycastle.tls.TlsServerProtocol;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * An established TLS session over a plaintext transport. One thread reads (the connection's
 * reader) while others write under the connection's write lock; BouncyCastle's blocking
 * protocol serialises record writes itself, so a key update answered by the reader is safe.
 */
final class TlsTransport implements Transport {
    /** TLS records carry at most 16 KiB of data: gathering more than this per copy buys nothing. */
    private static final int CHUNK = 64 * 1024;

    private final Transport plain;
    private final TlsServerProtocol protocol;
    private final String peer;
    private final byte[] readBuf = new byte[CHUNK];
    private final Object writeBufLock = new Object();
    private byte[] writeBuf = new byte[CHUNK];

    private final ServerTls.PeerCertificate peerCertificate;

    TlsTransport(Transport plain, TlsServerProtocol protocol, ServerTls.PeerCertificate peerCertificate) {
        this.plain = plain;
        this.protocol = protocol;
        this.peerCertificate = peerCertificate;
        this.peer = plain.peer() + " (TLS)";
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        int want = Math.min(dst.remaining(), readBuf.length);
        if (want == 0) return 0;
        int n;
        try {
            if (dst.hasArray()) {
                n = protocol.readApplicationData(dst.array(), dst.arrayOffset() + dst.position(), want);
                if (n > 0) dst.position(dst.position() + n);
                return n;
            }
            n = protocol.readApplicationData(readBuf, 0, want);
        } catch (TlsNoCloseNotifyException e) {
            return -1; // the client went away without close_notify: end of stream all the same
        }
        if (n > 0) dst.put(readBuf, 0, n);
        return n;
    }

    @Override
    public void writeFully(ByteBuffer... srcs) throws IOException {
        synchronized (writeBufLock) {
            // Coalesce the parts (header + payload) so that small replies leave in one record.
            RecordStreams.writeGathered(protocol, writeBuf, srcs);
        }
    }

    @Override public void shutdownInput() { plain.shutdownInput(); }

    @Override public String peer() { return peer; }

    /** The client certificate the handshake verified, or null. */
    ServerTls.PeerCertificate peerCertificate() { return peerCertificate; }

    @Override
    public void close() throws IOException {
        try {
            protocol.close(); // sends close_notify
        } catch (IOException | RuntimeException ignored) {
            // the peer may be gone already
        } finally {
            plain.close();
        }
    }
}
