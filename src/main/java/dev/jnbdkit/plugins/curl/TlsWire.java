package dev.jnbdkit.plugins.curl;

import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.List;

/**
 * TLS (JSSE's {@link SSLSocket}) over a connected {@link SocketChannel}'s socket, for https://
 * on {@link Http1Transport}. Layering on the channel's socket keeps what the plain wire has: an
 * interrupt or a close of the channel from another thread ends a blocked read. The handshake
 * happens on the first write, so it falls inside the request's {@code timeout=}; its failures
 * (an untrusted certificate, a host name the certificate does not name) are JSSE's
 * {@code SSLHandshakeException}s.
 *
 * <p>JSSE decrypts into its own buffers and hands out bytes through a stream, so a body bound for
 * native memory passes through one 16 KiB array: one copy, next to the decryption's cost.
 */
final class TlsWire implements Wire {
    private final SocketChannel raw;
    private final InputStream in;
    private final OutputStream out;
    private final byte[] scratch = new byte[16 * 1024];

    private TlsWire(SocketChannel raw, SSLSocket ssl) throws IOException {
        this.raw = raw;
        this.in = ssl.getInputStream();
        this.out = ssl.getOutputStream();
    }

    /**
     * TLS to {@code host} over {@code raw}: {@code params} are the curl keys' protocols and
     * cipher suites (TrustSettings); the host name goes in SNI (unless it is an address) and is
     * checked against the certificate where {@code verify} (libcurl's VERIFYHOST); ALPN offers
     * HTTP/1.1 only, as libcurl does with http-version=1.1.
     */
    static TlsWire over(SocketChannel raw, SSLContext ctx, SSLParameters params, boolean verify, String host, int port)
            throws IOException {
        SSLSocket ssl = (SSLSocket) ctx.getSocketFactory().createSocket(raw.socket(), host, port, true);
        SSLParameters p = ssl.getSSLParameters();
        p.setProtocols(params.getProtocols());
        p.setCipherSuites(params.getCipherSuites());
        p.setApplicationProtocols(new String[] {"http/1.1"});
        if (verify) p.setEndpointIdentificationAlgorithm("HTTPS");
        if (!isAddress(host)) p.setServerNames(List.of(new SNIHostName(host)));
        ssl.setSSLParameters(p);
        ssl.setUseClientMode(true);
        return new TlsWire(raw, ssl);
    }

    /** An IPv4 or IPv6 literal (SNI names hosts only, RFC 6066 section 3). */
    private static boolean isAddress(String host) {
        return host.indexOf(':') >= 0 || host.chars().allMatch(c -> c == '.' || (c >= '0' && c <= '9'));
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        if (dst.hasArray()) {
            int n = in.read(dst.array(), dst.arrayOffset() + dst.position(), dst.remaining());
            if (n > 0) dst.position(dst.position() + n);
            return n;
        }
        int n = in.read(scratch, 0, Math.min(scratch.length, dst.remaining()));
        if (n > 0) dst.put(scratch, 0, n);
        return n;
    }

    @Override
    public void write(ByteBuffer[] srcs) throws IOException {
        for (ByteBuffer b : srcs) {
            if (b.hasArray()) {
                out.write(b.array(), b.arrayOffset() + b.position(), b.remaining());
                b.position(b.limit());
            } else {
                while (b.hasRemaining()) {
                    int n = Math.min(scratch.length, b.remaining());
                    b.get(scratch, 0, n);
                    out.write(scratch, 0, n);
                }
            }
        }
        out.flush();
    }

    @Override public boolean isOpen() { return raw.isOpen(); }

    /**
     * Closes the TCP connection under TLS, with no close_notify: this may be the alarm's thread
     * while a read is blocked, and closing the channel is what ends that read at once.
     */
    @Override public void close() throws IOException { raw.close(); }
}
