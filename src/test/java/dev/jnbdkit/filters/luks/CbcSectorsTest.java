package dev.jnbdkit.filters.luks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Random;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

/**
 * AES-CBC per sector, with the plain, plain64 and essiv IVs, against the obvious construction:
 * the JDK's AES/CBC initialised with each sector's IV, computed here from its definition.
 */
class CbcSectorsTest {
    /** Sector {@code s}'s IV by definition. */
    private static byte[] iv(String kind, byte[] key, long s) throws Exception {
        byte[] iv = new byte[16];
        int bytes = kind.equals("plain") ? 4 : 8;
        for (int i = 0; i < bytes; i++) iv[i] = (byte) (s >>> (8 * i));
        if (kind.equals("essiv")) {
            byte[] salt = MessageDigest.getInstance("SHA-256").digest(key);
            Cipher ecb = Cipher.getInstance("AES/ECB/NoPadding");
            ecb.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(salt, "AES"));
            iv = ecb.doFinal(iv);
        }
        return iv;
    }

    private static IvGenerator generator(String kind, byte[] key) {
        return switch (kind) {
            case "plain" -> new IvGenerator.Plain(4);
            case "plain64" -> new IvGenerator.Plain(8);
            default -> new IvGenerator.Essiv(LuksHash.SHA256, key);
        };
    }

    @Test
    void sameAsOneCbcPerSector() throws Exception {
        Random r = new Random(3);
        for (String kind : new String[] {"plain", "plain64", "essiv"}) {
            for (int keyLen : new int[] {16, 24, 32}) {
                byte[] key = new byte[keyLen];
                r.nextBytes(key);
                int sectors = 300; // more than one piece
                long first = 0xfffffff0L; // plain wraps at 2^32, plain64 does not
                byte[] plain = new byte[sectors * 512];
                r.nextBytes(plain);
                byte[] want = new byte[plain.length];
                Cipher cbc = Cipher.getInstance("AES/CBC/NoPadding");
                for (int s = 0; s < sectors; s++) {
                    cbc.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new IvParameterSpec(iv(kind, key, first + s)));
                    cbc.doFinal(plain, s * 512, 512, want, s * 512);
                }
                byte[] got = new byte[plain.length];
                CbcSectors c = new CbcSectors(key, generator(kind, key));
                c.crypt(true, plain.clone(), 0, got, 0, plain.length, first);
                assertArrayEquals(want, got, kind + " aes-" + keyLen * 8 + " encryption");
                byte[] back = new byte[plain.length];
                c.crypt(false, got.clone(), 0, back, 0, got.length, first);
                assertArrayEquals(plain, back, kind + " aes-" + keyLen * 8 + " decryption");
            }
        }
    }

    @Test
    void plainIvIsTheLow32Bits() {
        byte[] ivs = new byte[32];
        new IvGenerator.Plain(4).fill(0x1_0000_0002L, 2, ivs);
        assertEquals("02000000000000000000000000000000" + "03000000000000000000000000000000", Hex.of(ivs));
        new IvGenerator.Plain(8).fill(0x1_0000_0002L, 1, ivs);
        assertEquals("02000000010000000000000000000000", Hex.of(Arrays.copyOf(ivs, 16)));
    }
}
