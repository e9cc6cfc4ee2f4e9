package dev.jnbdkit.server.tls;

import org.bouncycastle.jcajce.util.DefaultJcaJceHelper;
import org.bouncycastle.jcajce.util.JcaJceHelper;
import org.bouncycastle.jcajce.util.ProviderJcaJceHelper;
import org.bouncycastle.jce.provider.BouncyCastleProvider;

import javax.crypto.Cipher;
import javax.crypto.ExemptionMechanism;
import javax.crypto.KeyAgreement;
import javax.crypto.KeyGenerator;
import javax.crypto.Mac;
import javax.crypto.NoSuchPaddingException;
import javax.crypto.SecretKeyFactory;
import java.security.AlgorithmParameterGenerator;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.InvalidAlgorithmParameterException;
import java.security.KeyFactory;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.KeyStoreException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.NoSuchProviderException;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertPathBuilder;
import java.security.cert.CertPathValidator;
import java.security.cert.CertStore;
import java.security.cert.CertStoreParameters;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;

/**
 * JCA look-ups for BouncyCastle's TLS: the JDK's providers first (AES-GCM, SHA-2 and ECDH run on
 * its CPU intrinsics), BouncyCastle's provider for the algorithm names the JDK lacks (for
 * example {@code SHA256WITHRSAANDMGF1}, the RSA-PSS signature TLS 1.3 uses). The BouncyCastle
 * provider is never registered with {@link java.security.Security}.
 */
final class FallbackJcaHelper implements JcaJceHelper {
    private final JcaJceHelper jdk = new DefaultJcaJceHelper();
    private final JcaJceHelper bc = new ProviderJcaJceHelper(new BouncyCastleProvider());

    @FunctionalInterface
    private interface Lookup<T> {
        T get(JcaJceHelper h) throws GeneralSecurityException;
    }

    @SuppressWarnings("unchecked")
    private <T, E extends GeneralSecurityException> T either(Lookup<T> l) throws E {
        try {
            return l.get(jdk);
        } catch (NoSuchAlgorithmException | NoSuchPaddingException | NoSuchProviderException | CertificateException
                 | KeyStoreException e) {
            try {
                return l.get(bc);
            } catch (GeneralSecurityException ignored) {
                throw (E) e;
            }
        } catch (GeneralSecurityException e) {
            throw (E) e;
        }
    }

    @Override
    public Cipher createCipher(String a) throws NoSuchAlgorithmException, NoSuchPaddingException, NoSuchProviderException {
        return this.<Cipher, NoSuchAlgorithmException>either(h -> h.createCipher(a));
    }

    @Override public Mac createMac(String a) throws NoSuchAlgorithmException, NoSuchProviderException {
        return this.<Mac, NoSuchAlgorithmException>either(h -> h.createMac(a));
    }

    @Override public KeyAgreement createKeyAgreement(String a) throws NoSuchAlgorithmException, NoSuchProviderException {
        return this.<KeyAgreement, NoSuchAlgorithmException>either(h -> h.createKeyAgreement(a));
    }

    @Override
    public AlgorithmParameterGenerator createAlgorithmParameterGenerator(String a) throws NoSuchAlgorithmException, NoSuchProviderException {
        return this.<AlgorithmParameterGenerator, NoSuchAlgorithmException>either(h -> h.createAlgorithmParameterGenerator(a));
    }

    @Override
    public AlgorithmParameters createAlgorithmParameters(String a) throws NoSuchAlgorithmException, NoSuchProviderException {
        return this.<AlgorithmParameters, NoSuchAlgorithmException>either(h -> h.createAlgorithmParameters(a));
    }

    @Override public KeyGenerator createKeyGenerator(String a) throws NoSuchAlgorithmException, NoSuchProviderException {
        return this.<KeyGenerator, NoSuchAlgorithmException>either(h -> h.createKeyGenerator(a));
    }

    @Override public KeyFactory createKeyFactory(String a) throws NoSuchAlgorithmException, NoSuchProviderException {
        return this.<KeyFactory, NoSuchAlgorithmException>either(h -> h.createKeyFactory(a));
    }

    @Override
    public SecretKeyFactory createSecretKeyFactory(String a) throws NoSuchAlgorithmException, NoSuchProviderException {
        return this.<SecretKeyFactory, NoSuchAlgorithmException>either(h -> h.createSecretKeyFactory(a));
    }

    @Override
    public KeyPairGenerator createKeyPairGenerator(String a) throws NoSuchAlgorithmException, NoSuchProviderException {
        return this.<KeyPairGenerator, NoSuchAlgorithmException>either(h -> h.createKeyPairGenerator(a));
    }

    @Override
    @SuppressWarnings("deprecation")
    public MessageDigest createDigest(String a) throws NoSuchAlgorithmException, NoSuchProviderException {
        return this.<MessageDigest, NoSuchAlgorithmException>either(h -> h.createDigest(a));
    }

    @Override
    public MessageDigest createMessageDigest(String a) throws NoSuchAlgorithmException, NoSuchProviderException {
        return this.<MessageDigest, NoSuchAlgorithmException>either(h -> h.createMessageDigest(a));
    }

    @Override public Signature createSignature(String a) throws NoSuchAlgorithmException, NoSuchProviderException {
        return this.<Signature, NoSuchAlgorithmException>either(h -> h.createSignature(a));
    }

    @Override
    public CertificateFactory createCertificateFactory(String a) throws NoSuchProviderException, CertificateException {
        return this.<CertificateFactory, CertificateException>either(h -> h.createCertificateFactory(a));
    }

    @Override public SecureRandom createSecureRandom(String a) throws NoSuchAlgorithmException, NoSuchProviderException {
        return this.<SecureRandom, NoSuchAlgorithmException>either(h -> h.createSecureRandom(a));
    }

    @Override
    public CertPathBuilder createCertPathBuilder(String a) throws NoSuchAlgorithmException, NoSuchProviderException {
        return this.<CertPathBuilder, NoSuchAlgorithmException>either(h -> h.createCertPathBuilder(a));
    }

    @Override
    public CertPathValidator createCertPathValidator(String a) throws NoSuchAlgorithmException, NoSuchProviderException {
        return this.<CertPathValidator, NoSuchAlgorithmException>either(h -> h.createCertPathValidator(a));
    }

    @Override
    public CertStore createCertStore(String a, CertStoreParameters p)
            throws NoSuchAlgorithmException, InvalidAlgorithmParameterException, NoSuchProviderException {
        return this.<CertStore, NoSuchAlgorithmException>either(h -> h.createCertStore(a, p));
    }

    @Override
    public ExemptionMechanism createExemptionMechanism(String a) throws NoSuchAlgorithmException, NoSuchProviderException {
        return this.<ExemptionMechanism, NoSuchAlgorithmException>either(h -> h.createExemptionMechanism(a));
    }

    @Override public KeyStore createKeyStore(String a) throws KeyStoreException, NoSuchProviderException {
        return this.<KeyStore, KeyStoreException>either(h -> h.createKeyStore(a));
    }
}
