package dev.jnbdkit.filters.luks;

import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.PluginException;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The hash algorithms a LUKSv1 header may name (its {@code hash_spec}, and the hash of an
 * {@code essiv:HASH} IV generator), as nbdkit accepts them: md5, sha1, sha224, sha256, sha384,
 * sha512 and ripemd160. All but RIPEMD-160 come from the JDK; the JDK has no RIPEMD-160, so that
 * one is BouncyCastle's (already on the class path for TLS), loaded only when a header names it.
 */
enum LuksHash {
    MD5("md5", "MD5", "HmacMD5", 16, 64),
    SHA1("sha1", "SHA-1", "HmacSHA1", 20, 64),
    SHA224("sha224", "SHA-224", "HmacSHA224", 28, 64),
    SHA256("sha256", "SHA-256", "HmacSHA256", 32, 64),
    SHA384("sha384", "SHA-384", "HmacSHA384", 48, 128),
    SHA512("sha512", "SHA-512", "HmacSHA512", 64, 128),
    RIPEMD160("ripemd160", null, null, 20, 64);

    /** The name as a LUKS header spells it. */
    final String luksName;
    private final String jdkDigest;
    private final String jdkMac;
    /** Digest length in bytes. */
    final int length;
    /** Block length in bytes (what HMAC pads its key to). */
    final int blockLength;

    LuksHash(String luksName, String jdkDigest, String jdkMac, int length, int blockLength) {
        this.luksName = luksName;
        this.jdkDigest = jdkDigest;
        this.jdkMac = jdkMac;
        this.length = length;
        this.blockLength = blockLength;
    }

    /** The hash a header names, or nbdkit's error. */
    static LuksHash lookup(String name) {
        for (LuksHash h : values()) if (h.luksName.equals(name)) return h;
        throw new PluginException(Errno.EIO, "unknown hash algorithm: " + name
                + " (expecting \"md5\", \"sha1\", \"sha224\", etc)");
    }

    /** A plain digest (anti-forensic diffusion, ESSIV). Not thread-safe. */
    interface Hasher {
        void update(byte[] b, int off, int len);

        /** The digest of everything updated so far, into {@code out} at {@code off}; resets. */
        void digest(byte[] out, int off);
    }

    /** A keyed HMAC (PBKDF2's pseudo-random function). Not thread-safe. */
    interface Hmac {
        void update(byte[] b, int off, int len);

        /** The MAC of everything updated so far, into {@code out} at {@code off}; resets to the key. */
        void doFinal(byte[] out, int off);
    }

    Hasher newHasher() {
        if (this == RIPEMD160) return Ripemd160.hasher();
        MessageDigest md;
        try {
            md = MessageDigest.getInstance(jdkDigest);
        } catch (NoSuchAlgorithmException e) {
            throw new PluginException(Errno.EIO, "hash " + luksName + " is not available in this JDK: " + e.getMessage());
        }
        return new Hasher() {
            @Override public void update(byte[] b, int off, int len) { md.update(b, off, len); }

            @Override public void digest(byte[] out, int off) {
                try {
                    md.digest(out, off, length);
                } catch (java.security.DigestException e) {
                    throw new IllegalStateException(e);
                }
            }
        };
    }

    Hmac newHmac(byte[] key) {
        if (this == RIPEMD160) return Ripemd160.hmac(key);
        Mac mac;
        try {
            mac = Mac.getInstance(jdkMac);
            // An empty passphrase is a valid HMAC key; SecretKeySpec refuses an empty array.
            mac.init(key.length == 0 ? new EmptyKey(jdkMac) : new SecretKeySpec(key, jdkMac));
        } catch (GeneralSecurityException e) {
            throw new PluginException(Errno.EIO, "HMAC-" + luksName + " is not available in this JDK: " + e.getMessage());
        }
        return new Hmac() {
            @Override public void update(byte[] b, int off, int len) { mac.update(b, off, len); }

            @Override public void doFinal(byte[] out, int off) {
                try {
                    mac.doFinal(out, off);
                } catch (javax.crypto.ShortBufferException e) {
                    throw new IllegalStateException(e);
                }
            }
        };
    }

    /** The zero-length HMAC key (a passphrase may be empty). */
    private record EmptyKey(String algorithm) implements javax.crypto.SecretKey {
        @Override public String getAlgorithm() { return algorithm; }

        @Override public String getFormat() { return "RAW"; }

        @Override public byte[] getEncoded() { return new byte[0]; }
    }
}
