package dev.jnbdkit.filters.luks;

import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.PluginException;

import java.security.GeneralSecurityException;
import java.security.spec.AlgorithmParameterSpec;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;

/** The JDK's AES, with its checked exceptions turned into the filter's errors. */
final class Ciphers {
    private Ciphers() {}

    static Cipher aes(String transformation, int mode, SecretKey key, AlgorithmParameterSpec params) {
        try {
            Cipher c = Cipher.getInstance(transformation);
            c.init(mode, key, params);
            return c;
        } catch (GeneralSecurityException e) {
            throw new PluginException(Errno.EIO, transformation + ": " + e.getMessage());
        }
    }

    static void init(Cipher c, int mode, SecretKey key, AlgorithmParameterSpec params) {
        try {
            c.init(mode, key, params);
        } catch (GeneralSecurityException e) {
            throw new PluginException(Errno.EIO, c.getAlgorithm() + ": " + e.getMessage());
        }
    }

    /** {@code doFinal}: the whole range, then the cipher is ready for the next. */
    static void run(Cipher c, byte[] in, int inOff, int len, byte[] out, int outOff) {
        try {
            c.doFinal(in, inOff, len, out, outOff);
        } catch (GeneralSecurityException e) {
            throw new PluginException(Errno.EIO, c.getAlgorithm() + ": " + e.getMessage());
        }
    }

    /** {@code update}: the range, keeping the chaining state for the next call. */
    static void step(Cipher c, byte[] in, int inOff, int len, byte[] out, int outOff) {
        try {
            c.update(in, inOff, len, out, outOff);
        } catch (GeneralSecurityException e) {
            throw new PluginException(Errno.EIO, c.getAlgorithm() + ": " + e.getMessage());
        }
    }
}
