package dev.jnbdkit.server.tls;

import dev.jnbdkit.log.Log;
import dev.jnbdkit.server.Transport;
import org.bouncycastle.tls.TlsServer;
import org.bouncycastle.tls.TlsServerProtocol;
import org.bouncycastle.tls.crypto.impl.jcajce.JcaTlsCrypto;
import org.bouncycastle.tls.crypto.impl.jcajce.JcaTlsCryptoProvider;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.function.Supplier;

/**
 * The TLS engine on BouncyCastle's TLS protocol (bctls) in blocking mode: one implementation for
 * both X.509 and PSK (JSSE has no TLS-PSK). The crypto underneath is the JDK's own providers
 * (JcaTlsCrypto, with BouncyCastle's provider as the fallback for what they lack), so AES-GCM
 * runs on the JDK's intrinsics. Only this class and the classes it
 * uses refer to BouncyCastle.
 */
final class BcEngineFactory {
    private BcEngineFactory() {}

    private static final class CryptoHolder {
        // The JDK's providers first (AES-GCM on CPU intrinsics); BouncyCastle's provider, never
        // registered globally, only for what they lack (e.g. the RSASSA-PSS naming TLS 1.3 needs).
        static final JcaTlsCrypto CRYPTO = new JcaTlsCryptoProvider() {
            private final FallbackJcaHelper helper = new FallbackJcaHelper();

            @Override public org.bouncycastle.jcajce.util.JcaJceHelper getHelper() { return helper; }
        }.create(new SecureRandom());
    }

    static ServerTls.Engine psk(Path file) {
        JcaTlsCrypto crypto = CryptoHolder.CRYPTO;
        return new Engine(() -> new PskServer(crypto, file));
    }

    /** Loads and checks the directory's files now, so that a bad setup fails at start-up. */
    static ServerTls.Engine x509(Path dir, boolean verifyPeer) throws IOException {
        if (!Files.isDirectory(dir)) throw new IOException("No such directory");
        List<X509Certificate> chain = PemFiles.certificates(dir.resolve(ServerTls.SERVER_CERT));
        var key = PemFiles.privateKey(dir.resolve(ServerTls.SERVER_KEY));
        checkKeyMatches(key, chain.getFirst());
        Path caFile = dir.resolve(ServerTls.CA_CERT);
        List<X509Certificate> cas = Files.exists(caFile) ? PemFiles.certificates(caFile) : List.of();
        if (verifyPeer && cas.isEmpty()) throw new IOException(ServerTls.CA_CERT + " is needed by --tls-verify-peer");
        Path crlFile = dir.resolve(ServerTls.CA_CRL);
        List<X509CRL> crls = Files.exists(crlFile) ? PemFiles.crls(crlFile) : List.of();
        var material = new X509Server.Material(chain, key, cas, crls, verifyPeer);
        JcaTlsCrypto crypto = CryptoHolder.CRYPTO;
        return new Engine(() -> new X509Server(crypto, material));
    }

    /** A certificate with somebody else's key would only fail in every handshake: refuse it now. */
    private static void checkKeyMatches(java.security.PrivateKey key, X509Certificate cert) throws IOException {
        String alg = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "RSASSA-PSS" -> null;
            case "EC" -> "SHA256withECDSA";
            case "Ed25519", "Ed448", "EdDSA" -> key.getAlgorithm();
            default -> null;
        };
        if (alg == null) return;
        try {
            byte[] probe = "jnbdkit".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            Signature s = Signature.getInstance(alg);
            s.initSign(key);
            s.update(probe);
            byte[] sig = s.sign();
            Signature v = Signature.getInstance(alg);
            v.initVerify(cert.getPublicKey());
            v.update(probe);
            if (!v.verify(sig)) throw new IOException(ServerTls.SERVER_KEY + " does not match " + ServerTls.SERVER_CERT);
        } catch (GeneralSecurityException e) {
            throw new IOException(ServerTls.SERVER_KEY + " does not match " + ServerTls.SERVER_CERT + ": " + e.getMessage(), e);
        }
    }

    /** Logs what the handshake settled (called by the servers' notifyHandshakeComplete). */
    static void logSession(org.bouncycastle.tls.TlsServerContext context) {
        var sp = context.getSecurityParametersConnection();
        Log.debug("TLS handshake complete: " + sp.getNegotiatedVersion() + ", cipher suite 0x"
                + Integer.toHexString(sp.getCipherSuite()));
    }

    private record Engine(Supplier<TlsServer> servers) implements ServerTls.Engine {
        @Override
        public Transport handshake(Transport plain) throws IOException {
            TlsServerProtocol protocol = new TlsServerProtocol(RecordStreams.input(plain::read), RecordStreams.output(plain::writeFully));
            TlsServer server = servers.get();
            try {
                protocol.accept(server);
            } catch (IOException | RuntimeException e) {
                try {
                    protocol.close();
                } catch (IOException | RuntimeException ignored) {
                    // the handshake failed; the connection ends anyway
                }
                String m = e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
                for (Throwable c = e.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
                    m += ": " + (c.getMessage() != null ? c.getMessage() : c.getClass().getName());
                }
                if (Log.verbose() && e instanceof RuntimeException) e.printStackTrace();
                throw new IOException(m, e);
            }
            X509Certificate peer = server instanceof X509Server x ? x.verifiedPeer() : null;
            return new TlsTransport(plain, protocol, peer == null ? null : ServerTls.PeerCertificate.of(peer));
        }
    }
}
