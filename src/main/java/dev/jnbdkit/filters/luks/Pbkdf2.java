package dev.jnbdkit.filters.luks;

/**
 * PBKDF2 (RFC 8018 §5.2) with HMAC over a {@link LuksHash}: how LUKSv1 turns a passphrase into a
 * key-slot key and checks a candidate master key against its digest. Written over the JDK's
 * {@link javax.crypto.Mac} rather than the JDK's {@code PBKDF2WithHmac*} key factories because
 * those take the password as {@code char[]} (a passphrase read from a file is bytes, not always
 * UTF-8) and have no MD5 or RIPEMD-160 variant; the result is the same (PbkdfTest compares them).
 */
final class Pbkdf2 {
    private Pbkdf2() {}

    /**
     * {@code length} bytes derived from {@code password} and {@code salt} with {@code iterations}
     * rounds (a LUKS header's unsigned 32-bit count; 0, which cryptsetup never writes, counts as 1).
     */
    static byte[] derive(LuksHash hash, byte[] password, byte[] salt, long iterations, int length) {
        LuksHash.Hmac prf = hash.newHmac(password);
        int hLen = hash.length;
        byte[] out = new byte[length];
        byte[] u = new byte[hLen];
        byte[] t = new byte[hLen];
        byte[] index = new byte[4];
        long rounds = Math.max(1, iterations);
        for (int block = 1, pos = 0; pos < length; block++, pos += hLen) {
            index[0] = (byte) (block >>> 24);
            index[1] = (byte) (block >>> 16);
            index[2] = (byte) (block >>> 8);
            index[3] = (byte) block;
            prf.update(salt, 0, salt.length);
            prf.update(index, 0, 4);
            prf.doFinal(u, 0);
            System.arraycopy(u, 0, t, 0, hLen);
            for (long r = 1; r < rounds; r++) {
                prf.update(u, 0, hLen);
                prf.doFinal(u, 0);
                for (int i = 0; i < hLen; i++) t[i] ^= u[i];
            }
            System.arraycopy(t, 0, out, pos, Math.min(hLen, length - pos));
        }
        java.util.Arrays.fill(u, (byte) 0);
        java.util.Arrays.fill(t, (byte) 0);
        return out;
    }
}
