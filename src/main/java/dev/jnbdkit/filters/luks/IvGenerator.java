package dev.jnbdkit.filters.luks;

import javax.crypto.Cipher;
import javax.crypto.spec.SecretKeySpec;

/**
 * The IV of each sector (dm-crypt's IV generators, the part after the dash in a LUKS
 * {@code cipher_mode}): {@code plain} is the sector number's low 32 bits, little-endian, padded
 * with zeros to the block; {@code plain64} all 64 bits; {@code essiv:HASH} the sector number
 * (as plain64) encrypted with AES under HASH(key), so IVs cannot be predicted without the key.
 */
sealed interface IvGenerator {
    int BLOCK = 16;

    /** The IVs of sectors {@code first .. first+n-1}, 16 bytes each, into {@code ivs} from 0. */
    void fill(long first, int n, byte[] ivs);

    /** IVs of the sector number's low {@code bytes} bytes. */
    record Plain(int bytes) implements IvGenerator {
        @Override
        public void fill(long first, int n, byte[] ivs) {
            java.util.Arrays.fill(ivs, 0, n * BLOCK, (byte) 0);
            for (int s = 0; s < n; s++) {
                long v = first + s;
                for (int i = 0; i < bytes; i++) ivs[s * BLOCK + i] = (byte) (v >>> (8 * i));
            }
        }
    }

    /** ESSIV: plain64 IVs encrypted with AES-ECB under the hash of the key. */
    final class Essiv implements IvGenerator {
        private final Plain plain64 = new Plain(8);
        private final Cipher aes;

        Essiv(LuksHash hash, byte[] key) {
            byte[] salt = new byte[hash.length];
            LuksHash.Hasher h = hash.newHasher();
            h.update(key, 0, key.length);
            h.digest(salt, 0);
            aes = Ciphers.aes("AES/ECB/NoPadding", Cipher.ENCRYPT_MODE, new SecretKeySpec(salt, "AES"), null);
            java.util.Arrays.fill(salt, (byte) 0);
        }

        @Override
        public void fill(long first, int n, byte[] ivs) {
            plain64.fill(first, n, ivs);
            Ciphers.run(aes, ivs, 0, n * BLOCK, ivs, 0);
        }
    }
}
