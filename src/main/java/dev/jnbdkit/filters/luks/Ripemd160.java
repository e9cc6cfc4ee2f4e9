package dev.jnbdkit.filters.luks;

import org.bouncycastle.crypto.digests.RIPEMD160Digest;
import org.bouncycastle.crypto.macs.HMac;
import org.bouncycastle.crypto.params.KeyParameter;

/**
 * RIPEMD-160, which the JDK lacks, from BouncyCastle's lightweight API (no provider registered).
 * Its own class so that BouncyCastle is loaded only for a header that names ripemd160.
 */
final class Ripemd160 {
    private Ripemd160() {}

    static LuksHash.Hasher hasher() {
        RIPEMD160Digest d = new RIPEMD160Digest();
        return new LuksHash.Hasher() {
            @Override public void update(byte[] b, int off, int len) { d.update(b, off, len); }

            @Override public void digest(byte[] out, int off) { d.doFinal(out, off); }
        };
    }

    static LuksHash.Hmac hmac(byte[] key) {
        HMac m = new HMac(new RIPEMD160Digest());
        m.init(new KeyParameter(key));
        return new LuksHash.Hmac() {
            @Override public void update(byte[] b, int off, int len) { m.update(b, off, len); }

            @Override public void doFinal(byte[] out, int off) { m.doFinal(out, off); }
        };
    }
}
