package dev.jnbdkit.filters.luks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.security.MessageDigest;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The anti-forensic merge: it undoes the split that cryptsetup does when it writes a key slot
 * (written here from the LUKS specification: random stripes, each diffused into the accumulator,
 * the last one the key XOR the accumulator), and the diffusion is the specification's H'.
 */
class AntiForensicTest {
    /** AFsplit: {@code stripes} stripes whose merge is {@code key}. */
    static byte[] split(LuksHash hash, byte[] key, int stripes, Random r) {
        int n = key.length;
        byte[] out = new byte[n * stripes];
        byte[] d = new byte[n];
        byte[] digest = new byte[hash.length];
        LuksHash.Hasher h = hash.newHasher();
        for (int s = 0; s < stripes - 1; s++) {
            byte[] stripe = new byte[n];
            r.nextBytes(stripe);
            System.arraycopy(stripe, 0, out, s * n, n);
            for (int i = 0; i < n; i++) d[i] ^= stripe[i];
            AntiForensic.diffuse(h, hash.length, d, digest);
        }
        for (int i = 0; i < n; i++) out[(stripes - 1) * n + i] = (byte) (d[i] ^ key[i]);
        return out;
    }

    @Test
    void mergeUndoesSplit() {
        Random r = new Random(5);
        for (LuksHash hash : LuksHash.values()) {
            for (int keyLen : new int[] {16, 24, 32, 64}) {
                for (int stripes : new int[] {1, 2, 4000}) {
                    byte[] key = new byte[keyLen];
                    r.nextBytes(key);
                    byte[] material = split(hash, key, stripes, r);
                    assertArrayEquals(key, AntiForensic.merge(hash, material, keyLen, stripes),
                            hash + " " + keyLen + " bytes " + stripes + " stripes");
                }
            }
        }
    }

    /** H' of 32 bytes with SHA-1 (20-byte digests): two pieces, the second cut to 12 bytes. */
    @Test
    void diffusionIsHashOfIndexAndPiece() throws Exception {
        byte[] block = new byte[32];
        for (int i = 0; i < 32; i++) block[i] = (byte) (i + 1);
        MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
        sha1.update(new byte[] {0, 0, 0, 0});
        sha1.update(block, 0, 20);
        byte[] first = sha1.digest();
        sha1.update(new byte[] {0, 0, 0, 1});
        sha1.update(block, 20, 12);
        byte[] second = sha1.digest();
        byte[] want = new byte[32];
        System.arraycopy(first, 0, want, 0, 20);
        System.arraycopy(second, 0, want, 20, 12);
        byte[] got = block.clone();
        AntiForensic.diffuse(LuksHash.SHA1.newHasher(), 20, got, new byte[20]);
        assertArrayEquals(want, got);
    }
}
