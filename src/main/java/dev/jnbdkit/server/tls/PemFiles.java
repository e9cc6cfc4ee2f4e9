package dev.jnbdkit.server.tls;

import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.pkcs.RSAPrivateKey;
import org.bouncycastle.asn1.sec.ECPrivateKey;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.asn1.edec.EdECObjectIdentifiers;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemReader;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.List;

/** PEM files as certtool(1) and openssl(1) write them: certificates, CRLs, unencrypted private keys. */
final class PemFiles {
    private PemFiles() {}

    static List<X509Certificate> certificates(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            List<X509Certificate> list = new ArrayList<>();
            for (var c : CertificateFactory.getInstance("X.509").generateCertificates(in)) list.add((X509Certificate) c);
            if (list.isEmpty()) throw new IOException(file.getFileName() + ": no certificate in the file");
            return list;
        } catch (GeneralSecurityException e) {
            throw new IOException(file.getFileName() + ": " + e.getMessage(), e);
        }
    }

    static List<X509CRL> crls(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            List<X509CRL> list = new ArrayList<>();
            for (var c : CertificateFactory.getInstance("X.509").generateCRLs(in)) list.add((X509CRL) c);
            return list;
        } catch (GeneralSecurityException e) {
            throw new IOException(file.getFileName() + ": " + e.getMessage(), e);
        }
    }

    /** The first private key in the file: PKCS#8, PKCS#1 RSA or SEC1 EC, unencrypted. */
    static PrivateKey privateKey(Path file) throws IOException {
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.US_ASCII); PemReader pem = new PemReader(r)) {
            for (PemObject o; (o = pem.readPemObject()) != null; ) {
                PrivateKeyInfo info = switch (o.getType()) {
                    case "PRIVATE KEY" -> PrivateKeyInfo.getInstance(o.getContent());
                    case "RSA PRIVATE KEY" -> new PrivateKeyInfo(
                            new AlgorithmIdentifier(PKCSObjectIdentifiers.rsaEncryption, DERNull.INSTANCE),
                            RSAPrivateKey.getInstance(o.getContent()));
                    case "EC PRIVATE KEY" -> {
                        ECPrivateKey ec = ECPrivateKey.getInstance(o.getContent());
                        var params = ec.getParametersObject();
                        if (params == null) throw new IOException(file.getFileName() + ": EC key without curve parameters");
                        yield new PrivateKeyInfo(new AlgorithmIdentifier(X9ObjectIdentifiers.id_ecPublicKey, params), ec);
                    }
                    case "ENCRYPTED PRIVATE KEY" ->
                            throw new IOException(file.getFileName() + ": encrypted private keys are not supported");
                    default -> null;
                };
                if (info == null) continue;
                String alg = algorithm(info.getPrivateKeyAlgorithm());
                try {
                    return KeyFactory.getInstance(alg).generatePrivate(new PKCS8EncodedKeySpec(info.getEncoded()));
                } catch (GeneralSecurityException e) {
                    throw new IOException(file.getFileName() + ": " + e.getMessage(), e);
                }
            }
        }
        throw new IOException(file.getFileName() + ": no private key in the file");
    }

    private static String algorithm(AlgorithmIdentifier id) throws IOException {
        var oid = id.getAlgorithm();
        if (oid.equals(PKCSObjectIdentifiers.rsaEncryption)) return "RSA";
        if (oid.equals(PKCSObjectIdentifiers.id_RSASSA_PSS)) return "RSASSA-PSS";
        if (oid.equals(X9ObjectIdentifiers.id_ecPublicKey)) return "EC";
        if (oid.equals(EdECObjectIdentifiers.id_Ed25519)) return "Ed25519";
        if (oid.equals(EdECObjectIdentifiers.id_Ed448)) return "Ed448";
        throw new IOException("unsupported private key algorithm " + oid);
    }
}
