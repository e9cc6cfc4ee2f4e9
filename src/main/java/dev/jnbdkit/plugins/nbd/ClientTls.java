package dev.jnbdkit.plugins.nbd;

import dev.jnbdkit.server.tls.RecordStreams;
import org.bouncycastle.tls.BasicTlsPSKExternal;
import org.bouncycastle.tls.CipherSuite;
import org.bouncycastle.tls.DefaultTlsClient;
import org.bouncycastle.tls.PRFAlgorithm;
import org.bouncycastle.tls.PSKTlsClient;
import org.bouncycastle.tls.ProtocolVersion;
import org.bouncycastle.tls.ServerOnlyTlsAuthentication;
import org.bouncycastle.tls.TlsAuthentication;
import org.bouncycastle.tls.TlsClient;
import org.bouncycastle.tls.TlsClientProtocol;
import org.bouncycastle.tls.TlsServerCertificate;
import org.bouncycastle.tls.TlsUtils;
import org.bouncycastle.tls.crypto.TlsCertificate;
import org.bouncycastle.tls.crypto.impl.jcajce.JcaTlsCrypto;
import org.bouncycastle.tls.crypto.impl.jcajce.JcaTlsCryptoProvider;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.Vector;

/**
 * The client side of STARTTLS towards the remote server, on BouncyCastle's TLS (the library the
 * server's own TLS uses; JSSE has no TLS-PSK): pre-shared keys (TLS 1.3 external PSK, or TLS 1.2
 * (EC)DHE-PSK) when {@code tls-psk=} is given, else X.509, verifying the server's certificate
 * against {@code tls-certificates=DIR/ca-cert.pem} (or the JDK's trusted authorities) and the
 * host name unless {@code tls-verify=false}. No client certificate is presented.
 */
final class ClientTls {
    private ClientTls() {}

    /** PSK needs no signatures: the JDK's providers, whose AES-GCM runs on CPU instructions. */
    private static final class PskCrypto {
        static final JcaTlsCrypto CRYPTO = new JcaTlsCryptoProvider().create(new SecureRandom());
    }

    /**
     * X.509: BouncyCastle's own provider (never registered globally), because the JDK's lack the
     * RSA-PSS names a TLS 1.3 server's signature needs. (The server's TLS mixes both through
     * server/tls/FallbackJcaHelper, which is package-private.)
     */
    private static final class X509Crypto {
        static final JcaTlsCrypto CRYPTO = new JcaTlsCryptoProvider()
                .setProvider(new org.bouncycastle.jce.provider.BouncyCastleProvider()).create(new SecureRandom());
    }

    static Wire handshake(Wire plain, TlsSettings s) throws IOException {
        TlsClient client = s.psk() != null ? pskClient(PskCrypto.CRYPTO, s) : x509Client(X509Crypto.CRYPTO, s);
        TlsClientProtocol protocol = new TlsClientProtocol(RecordStreams.input(plain::read), RecordStreams.output(plain::write));
        try {
            protocol.connect(client);
        } catch (IOException | RuntimeException e) {
            plain.close();
            throw new ClientHandshake.HandshakeException("TLS handshake with the server failed: "
                    + (e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName()));
        }
        return new TlsWire(plain, protocol);
    }

    /** The PSK identity's key from a psktool file ({@code username:hexkey} lines). */
    static byte[] pskKey(Path file, String user) throws IOException {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ClientHandshake.HandshakeException(file + ": " + e.getMessage());
        }
        for (String line : lines) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).equals(user)) {
                try {
                    return HexFormat.of().parseHex(line.substring(colon + 1).strip());
                } catch (IllegalArgumentException e) {
                    throw new ClientHandshake.HandshakeException(file + ": the key of '" + user + "' is not hexadecimal");
                }
            }
        }
        throw new ClientHandshake.HandshakeException(file + ": no key for user '" + user + "'");
    }

    private static TlsClient pskClient(JcaTlsCrypto crypto, TlsSettings s) throws IOException {
        byte[] identity = s.username().getBytes(StandardCharsets.UTF_8);
        byte[] key = pskKey(s.psk(), s.username());
        return new PSKTlsClient(crypto, identity, key) {
            @Override
            protected ProtocolVersion[] getSupportedVersions() { return ProtocolVersion.TLSv13.downTo(ProtocolVersion.TLSv12); }

            @Override
            protected int[] getSupportedCipherSuites() {
                return TlsUtils.getSupportedCipherSuites(getCrypto(), new int[] {
                        CipherSuite.TLS_AES_128_GCM_SHA256, CipherSuite.TLS_CHACHA20_POLY1305_SHA256,
                        CipherSuite.TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA256, CipherSuite.TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256,
                        CipherSuite.TLS_DHE_PSK_WITH_AES_128_GCM_SHA256, CipherSuite.TLS_DHE_PSK_WITH_AES_256_GCM_SHA384,
                        CipherSuite.TLS_PSK_WITH_AES_128_GCM_SHA256,
                });
            }

            /** TLS 1.3: the same key as an external PSK bound to SHA-256, as GnuTLS uses it. */
            @Override
            public Vector<Object> getExternalPSKs() {
                Vector<Object> v = new Vector<>();
                v.add(new BasicTlsPSKExternal(identity, getCrypto().createSecret(key), PRFAlgorithm.tls13_hkdf_sha256));
                return v;
            }
        };
    }

    private static TlsClient x509Client(JcaTlsCrypto crypto, TlsSettings s) throws IOException {
        Set<TrustAnchor> anchors = s.verify() ? anchors(s.certificates()) : Set.of();
        return new DefaultTlsClient(crypto) {
            @Override
            protected ProtocolVersion[] getSupportedVersions() { return ProtocolVersion.TLSv13.downTo(ProtocolVersion.TLSv12); }

            @Override
            public TlsAuthentication getAuthentication() {
                return new ServerOnlyTlsAuthentication() {
                    @Override
                    public void notifyServerCertificate(TlsServerCertificate sc) throws IOException {
                        if (s.verify()) verify(sc, anchors, s.hostname());
                    }
                };
            }
        };
    }

    private static Set<TrustAnchor> anchors(Path dir) throws IOException {
        Set<TrustAnchor> anchors = new HashSet<>();
        try {
            if (dir != null) {
                Path ca = dir.resolve("ca-cert.pem");
                try (InputStream in = Files.newInputStream(ca)) {
                    for (var c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                        anchors.add(new TrustAnchor((X509Certificate) c, null));
                    }
                } catch (IOException e) {
                    throw new ClientHandshake.HandshakeException(ca + ": " + e.getMessage());
                }
            } else {
                KeyStore ks = KeyStore.getInstance(Path.of(System.getProperty("java.home"), "lib", "security", "cacerts").toFile(),
                        (char[]) null);
                for (String alias : java.util.Collections.list(ks.aliases())) {
                    if (ks.getCertificate(alias) instanceof X509Certificate x) anchors.add(new TrustAnchor(x, null));
                }
            }
        } catch (GeneralSecurityException e) {
            throw new ClientHandshake.HandshakeException("cannot load the trusted certificates: " + e.getMessage());
        }
        if (anchors.isEmpty()) throw new ClientHandshake.HandshakeException("no trusted certificates to verify the server with");
        return anchors;
    }

    private static void verify(TlsServerCertificate sc, Set<TrustAnchor> anchors, String hostname) throws IOException {
        try {
            CertificateFactory cf = CertificateFactory.getInstance("X.509");
            List<X509Certificate> path = new ArrayList<>();
            for (TlsCertificate c : sc.getCertificate().getCertificateList()) {
                path.add((X509Certificate) cf.generateCertificate(new ByteArrayInputStream(c.getEncoded())));
            }
            if (path.isEmpty()) throw new IOException("the server presented no certificate");
            while (path.size() > 1 && path.getLast().getSubjectX500Principal().equals(path.getLast().getIssuerX500Principal())) {
                path.removeLast();
            }
            PKIXParameters params = new PKIXParameters(anchors);
            params.setRevocationEnabled(false);
            CertPathValidator.getInstance("PKIX").validate(cf.generateCertPath(path), params);
            if (hostname != null && !matches(path.getFirst(), hostname)) {
                throw new IOException("the server's certificate is not for '" + hostname + "'");
            }
        } catch (GeneralSecurityException e) {
            throw new IOException("the server's certificate could not be verified: " + e.getMessage(), e);
        }
    }

    /** Subject alternative names (DNS, with a leading wildcard label, or IP), else the CN. */
    static boolean matches(X509Certificate cert, String host) throws GeneralSecurityException {
        String h = host.toLowerCase(Locale.ROOT);
        var alts = cert.getSubjectAlternativeNames();
        if (alts != null && !alts.isEmpty()) {
            for (List<?> alt : alts) {
                int kind = (Integer) alt.get(0);
                String v = String.valueOf(alt.get(1)).toLowerCase(Locale.ROOT);
                if (kind == 2 && dnsMatch(v, h)) return true;
                if (kind == 7 && ipMatch(v, h)) return true;
            }
            return false;
        }
        for (String part : cert.getSubjectX500Principal().getName().split(",")) {
            if (part.startsWith("CN=") && dnsMatch(part.substring(3).toLowerCase(Locale.ROOT), h)) return true;
        }
        return false;
    }

    private static boolean dnsMatch(String pattern, String host) {
        if (pattern.startsWith("*.")) {
            int dot = host.indexOf('.');
            return dot > 0 && host.substring(dot).equals(pattern.substring(1));
        }
        return pattern.equals(host);
    }

    private static boolean ipMatch(String ip, String host) {
        if (!host.matches("[0-9.]+|.*:.*")) return false; // only an address literal names an IP
        try {
            return InetAddress.getByName(ip).equals(InetAddress.getByName(host));
        } catch (IOException e) {
            return false;
        }
    }
}
