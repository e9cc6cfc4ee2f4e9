package dev.jnbdkit.server.tls;

import dev.jnbdkit.log.Log;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.tls.AlertDescription;
import org.bouncycastle.tls.Certificate;
import org.bouncycastle.tls.CertificateEntry;
import org.bouncycastle.tls.CertificateRequest;
import org.bouncycastle.tls.CipherSuite;
import org.bouncycastle.tls.ClientCertificateType;
import org.bouncycastle.tls.DefaultTlsServer;
import org.bouncycastle.tls.ProtocolVersion;
import org.bouncycastle.tls.SignatureAndHashAlgorithm;
import org.bouncycastle.tls.SignatureScheme;
import org.bouncycastle.tls.TlsCredentialedSigner;
import org.bouncycastle.tls.TlsCredentials;
import org.bouncycastle.tls.TlsFatalAlert;
import org.bouncycastle.tls.TlsUtils;
import org.bouncycastle.tls.crypto.TlsCertificate;
import org.bouncycastle.tls.crypto.TlsCryptoParameters;
import org.bouncycastle.tls.crypto.impl.jcajce.JcaDefaultTlsCredentialedSigner;
import org.bouncycastle.tls.crypto.impl.jcajce.JcaTlsCrypto;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.cert.CertPathValidator;
import java.security.cert.CertStore;
import java.security.cert.CertificateFactory;
import java.security.cert.CollectionCertStoreParameters;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECKey;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.Vector;

/**
 * TLS with X.509 certificates: the server presents server-cert.pem with server-key.pem and, under
 * --tls-verify-peer, requires a client certificate that chains to ca-cert.pem and is not revoked
 * by ca-crl.pem.
 */
final class X509Server extends DefaultTlsServer {
    /** What the certificates directory held (read once at start-up). */
    record Material(List<X509Certificate> chain, PrivateKey key, List<X509Certificate> cas, List<X509CRL> crls,
                    boolean verifyPeer) {}

    private static final int[] TLS13 = {
            CipherSuite.TLS_AES_256_GCM_SHA384, CipherSuite.TLS_AES_128_GCM_SHA256, CipherSuite.TLS_CHACHA20_POLY1305_SHA256,
    };
    private static final int[] RSA12 = {
            CipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
            CipherSuite.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
            CipherSuite.TLS_DHE_RSA_WITH_AES_256_GCM_SHA384, CipherSuite.TLS_DHE_RSA_WITH_AES_128_GCM_SHA256,
    };
    private static final int[] ECDSA12 = {
            CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
            CipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    };

    private final JcaTlsCrypto crypto;
    private final Material m;
    /** The client's certificate once it has been verified (--tls-verify-peer), else null. */
    private volatile X509Certificate verifiedPeer;

    X509Server(JcaTlsCrypto crypto, Material m) {
        super(crypto);
        this.crypto = crypto;
        this.m = m;
    }

    /** The client certificate this handshake verified, or null (no --tls-verify-peer, or none yet). */
    X509Certificate verifiedPeer() { return verifiedPeer; }

    private boolean rsa() { return m.key().getAlgorithm().startsWith("RSA"); }

    @Override
    protected ProtocolVersion[] getSupportedVersions() { return ProtocolVersion.TLSv13.downTo(ProtocolVersion.TLSv12); }

    /**
     * Our order, not the client's. GnuTLS lists ChaCha20-Poly1305 before AES-128-GCM, and with an
     * external PSK (SHA-256 suites only) that is what a client's order picks; BouncyCastle's
     * ChaCha20 is plain Java (~70% of the server's CPU in an nbdcopy over TLS), while AES-GCM goes
     * through the JDK's provider, which uses the CPU's AES and carry-less multiply instructions.
     */
    @Override
    protected boolean preferLocalCipherSuites() { return true; }

    @Override
    protected int[] getSupportedCipherSuites() {
        int[] legacy = rsa() ? RSA12 : m.key().getAlgorithm().equals("EC") ? ECDSA12 : new int[0];
        int[] all = new int[TLS13.length + legacy.length];
        System.arraycopy(TLS13, 0, all, 0, TLS13.length);
        System.arraycopy(legacy, 0, all, TLS13.length, legacy.length);
        return TlsUtils.getSupportedCipherSuites(getCrypto(), all);
    }

    @Override
    public TlsCredentials getCredentials() throws IOException { return signer(); }

    private TlsCredentialedSigner signer() throws IOException {
        boolean tls13 = TlsUtils.isTLSv13(context);
        SignatureAndHashAlgorithm alg = chooseSignature(context.getSecurityParametersHandshake().getClientSigAlgs(), tls13);
        if (alg == null) throw new TlsFatalAlert(AlertDescription.handshake_failure, "no signature algorithm in common");
        TlsCertificate[] certs = new TlsCertificate[m.chain().size()];
        for (int i = 0; i < certs.length; i++) certs[i] = crypto.createCertificate(encoded(m.chain().get(i)));
        Certificate chain;
        if (tls13) {
            CertificateEntry[] entries = new CertificateEntry[certs.length];
            for (int i = 0; i < certs.length; i++) entries[i] = new CertificateEntry(certs[i], null);
            chain = new Certificate(TlsUtils.EMPTY_BYTES, entries);
        } else {
            chain = new Certificate(certs);
        }
        return new JcaDefaultTlsCredentialedSigner(new TlsCryptoParameters(context), crypto, m.key(), chain, alg);
    }

    /** The client's most preferred signature scheme our key can make (TLS 1.3 rules when tls13). */
    private SignatureAndHashAlgorithm chooseSignature(@SuppressWarnings("rawtypes") Vector clientAlgs, boolean tls13) {
        Set<Integer> usable = new HashSet<>();
        switch (m.key().getAlgorithm()) {
            case "RSA" -> {
                usable.addAll(List.of(SignatureScheme.rsa_pss_rsae_sha256, SignatureScheme.rsa_pss_rsae_sha384,
                        SignatureScheme.rsa_pss_rsae_sha512));
                if (!tls13) usable.addAll(List.of(SignatureScheme.rsa_pkcs1_sha256, SignatureScheme.rsa_pkcs1_sha384,
                        SignatureScheme.rsa_pkcs1_sha512));
            }
            case "RSASSA-PSS" -> usable.addAll(List.of(SignatureScheme.rsa_pss_pss_sha256,
                    SignatureScheme.rsa_pss_pss_sha384, SignatureScheme.rsa_pss_pss_sha512));
            case "EC" -> {
                int bits = ((ECKey) m.key()).getParams().getCurve().getField().getFieldSize();
                int own = bits <= 256 ? SignatureScheme.ecdsa_secp256r1_sha256
                        : bits <= 384 ? SignatureScheme.ecdsa_secp384r1_sha384 : SignatureScheme.ecdsa_secp521r1_sha512;
                usable.add(own);
                if (!tls13) usable.addAll(List.of(SignatureScheme.ecdsa_secp256r1_sha256,
                        SignatureScheme.ecdsa_secp384r1_sha384, SignatureScheme.ecdsa_secp521r1_sha512));
            }
            case "Ed25519" -> usable.add(SignatureScheme.ed25519);
            case "Ed448" -> usable.add(SignatureScheme.ed448);
            case "EdDSA" -> usable.addAll(List.of(SignatureScheme.ed25519, SignatureScheme.ed448));
            default -> { }
        }
        if (clientAlgs == null) {
            // TLS 1.2 without signature_algorithms: RFC 5246 says SHA-1; we offer nothing weaker than SHA-256.
            return null;
        }
        for (Object o : clientAlgs) {
            SignatureAndHashAlgorithm a = (SignatureAndHashAlgorithm) o;
            if (usable.contains(SignatureScheme.from(a))) return a;
        }
        return null;
    }

    @Override
    public CertificateRequest getCertificateRequest() throws IOException {
        if (!m.verifyPeer()) return null;
        Vector<X500Name> authorities = new Vector<>();
        for (X509Certificate ca : m.cas()) authorities.add(X500Name.getInstance(ca.getSubjectX500Principal().getEncoded()));
        @SuppressWarnings("rawtypes") Vector algs = TlsUtils.getDefaultSupportedSignatureAlgorithms(context);
        if (TlsUtils.isTLSv13(context)) return new CertificateRequest(TlsUtils.EMPTY_BYTES, algs, null, authorities);
        short[] types = {ClientCertificateType.rsa_sign, ClientCertificateType.ecdsa_sign};
        return new CertificateRequest(types, algs, authorities);
    }

    @Override
    public void notifyClientCertificate(Certificate presented) throws IOException {
        if (!m.verifyPeer()) return;
        if (presented == null || presented.isEmpty()) {
            throw new TlsFatalAlert(TlsUtils.isTLSv13(context) ? AlertDescription.certificate_required
                    : AlertDescription.handshake_failure, "the client presented no certificate (--tls-verify-peer)");
        }
        try {
            CertificateFactory cf = CertificateFactory.getInstance("X.509");
            List<X509Certificate> path = new ArrayList<>();
            for (TlsCertificate c : presented.getCertificateList()) {
                path.add((X509Certificate) cf.generateCertificate(new ByteArrayInputStream(c.getEncoded())));
            }
            Set<TrustAnchor> anchors = new HashSet<>();
            for (X509Certificate ca : m.cas()) anchors.add(new TrustAnchor(ca, null));
            // The chain ends below the anchor: drop a self-signed root the client may have sent.
            while (path.size() > 1 && path.getLast().getSubjectX500Principal().equals(path.getLast().getIssuerX500Principal())) {
                path.removeLast();
            }
            PKIXParameters params = new PKIXParameters(anchors);
            params.setRevocationEnabled(!m.crls().isEmpty());
            if (!m.crls().isEmpty()) {
                params.addCertStore(CertStore.getInstance("Collection", new CollectionCertStoreParameters(m.crls())));
            }
            CertPathValidator.getInstance("PKIX").validate(cf.generateCertPath(path), params);
            verifiedPeer = path.getFirst();
            Log.debug("TLS: client certificate " + path.getFirst().getSubjectX500Principal() + " verified");
        } catch (GeneralSecurityException e) {
            throw new TlsFatalAlert(AlertDescription.bad_certificate,
                    "client certificate verification failed: " + e.getMessage(), e);
        }
    }

    private static byte[] encoded(X509Certificate c) throws IOException {
        try {
            return c.getEncoded();
        } catch (GeneralSecurityException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    @Override
    public void notifyHandshakeComplete() throws java.io.IOException {
        super.notifyHandshakeComplete();
        BcEngineFactory.logSession(context);
    }
}
