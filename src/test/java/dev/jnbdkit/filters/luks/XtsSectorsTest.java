package dev.jnbdkit.filters.luks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * XTS-AES against IEEE 1619 (P1619/D16, Annex B) test vectors. Vectors of a 32-byte data unit
 * are checked as the first two blocks of a 512-byte sector (XTS without ciphertext stealing
 * encrypts each block with its own tweak, so the rest of the sector does not change them); the
 * data unit sequence number is the sector number, which plain64 puts in the tweak little-endian.
 */
class XtsSectorsTest {
    private static byte[] encrypt(String key, long sector, byte[] plain) {
        byte[] in = Arrays.copyOf(plain, Math.max(512, (plain.length + 511) / 512 * 512));
        byte[] out = new byte[in.length];
        new XtsSectors(Hex.bytes(key), new IvGenerator.Plain(8)).crypt(true, in, 0, out, 0, out.length, sector);
        byte[] back = new byte[out.length];
        new XtsSectors(Hex.bytes(key), new IvGenerator.Plain(8)).crypt(false, out.clone(), 0, back, 0, out.length, sector);
        assertArrayEquals(Arrays.copyOf(plain, back.length), back, "decryption undoes encryption");
        return Arrays.copyOf(out, plain.length);
    }

    private static byte[] fill(int len, int value) {
        byte[] b = new byte[len];
        Arrays.fill(b, (byte) value);
        return b;
    }

    /** 00 01 02 ... ff, twice: the 512-byte plaintext of vectors 4 and 10. */
    private static byte[] counting512() {
        byte[] b = new byte[512];
        for (int i = 0; i < 512; i++) b[i] = (byte) i;
        return b;
    }

    @Test
    void vector1AllZero() {
        assertEquals("917cf69ebd68b2ec9b9fe9a3eadda692cd43d2f59598ed858c02c2652fbf922e",
                Hex.of(encrypt("00".repeat(32), 0, new byte[32])));
    }

    @Test
    void vector2() {
        assertEquals("c454185e6a16936e39334038acef838bfb186fff7480adc4289382ecd6d394f0",
                Hex.of(encrypt("11".repeat(16) + "22".repeat(16), 0x3333333333L, fill(32, 0x44))));
    }

    @Test
    void vector3() {
        assertEquals("af85336b597afc1a900b2eb21ec949d292df4c047e0b21532186a5971a227a89",
                Hex.of(encrypt("fffefdfcfbfaf9f8f7f6f5f4f3f2f1f0" + "22".repeat(16), 0x3333333333L, fill(32, 0x44))));
    }

    @Test
    void vector5() {
        assertEquals("b01f86f8edc1863706fa8a4253e34f28af319de38334870f4dd1f94cbe9832f1",
                Hex.of(encrypt("fffefdfcfbfaf9f8f7f6f5f4f3f2f1f0bfbebdbcbbbab9b8b7b6b5b4b3b2b1b0", 0x123456789aL, fill(32, 0x44))));
    }

    @Test
    void vector4WholeSector() {
        String ct = """
                27a7479befa1d476489f308cd4cfa6e2a96e4bbe3208ff25287dd3819616e89c
                c78cf7f5e543445f8333d8fa7f56000005279fa5d8b5e4ad40e736ddb4d35412
                328063fd2aab53e5ea1e0a9f332500a5df9487d07a5c92cc512c8866c7e860ce
                93fdf166a24912b422976146ae20ce846bb7dc9ba94a767aaef20c0d61ad0265
                5ea92dc4c4e41a8952c651d33174be51a10c421110e6d81588ede82103a252d8
                a750e8768defffed9122810aaeb99f9172af82b604dc4b8e51bcb08235a6f434
                1332e4ca60482a4ba1a03b3e65008fc5da76b70bf1690db4eae29c5f1badd03c
                5ccf2a55d705ddcd86d449511ceb7ec30bf12b1fa35b913f9f747a8afd1b130e
                94bff94effd01a91735ca1726acd0b197c4e5b03393697e126826fb6bbde8ecc
                1e08298516e2c9ed03ff3c1b7860f6de76d4cecd94c8119855ef5297ca67e9f3
                e7ff72b1e99785ca0a7e7720c5b36dc6d72cac9574c8cbbc2f801e23e56fd344
                b07f22154beba0f08ce8891e643ed995c94d9a69c9f1b5f499027a78572aeebd
                74d20cc39881c213ee770b1010e4bea718846977ae119f7a023ab58cca0ad752
                afe656bb3c17256a9f6e9bf19fdd5a38fc82bbe872c5539edb609ef4f79c203e
                bb140f2e583cb2ad15b4aa5b655016a8449277dbd477ef2c8d6c017db738b18d
                eb4a427d1923ce3ff262735779a418f20a282df920147beabe421ee5319d0568""";
        assertEquals(ct.replaceAll("\\s+", ""),
                Hex.of(encrypt("27182818284590452353602874713526" + "31415926535897932384626433832795", 0, counting512())));
    }

    @Test
    void vector10Aes256() {
        String ct = """
                1c3b3a102f770386e4836c99e370cf9bea00803f5e482357a4ae12d414a3e63b
                5d31e276f8fe4a8d66b317f9ac683f44680a86ac35adfc3345befecb4bb188fd
                5776926c49a3095eb108fd1098baec70aaa66999a72a82f27d848b21d4a741b0
                c5cd4d5fff9dac89aeba122961d03a757123e9870f8acf1000020887891429ca
                2a3e7a7d7df7b10355165c8b9a6d0a7de8b062c4500dc4cd120c0f7418dae3d0
                b5781c34803fa75421c790dfe1de1834f280d7667b327f6c8cd7557e12ac3a0f
                93ec05c52e0493ef31a12d3d9260f79a289d6a379bc70c50841473d1a8cc81ec
                583e9645e07b8d9670655ba5bbcfecc6dc3966380ad8fecb17b6ba02469a020a
                84e18e8f84252070c13e9f1f289be54fbc481457778f616015e1327a02b140f1
                505eb309326d68378f8374595c849d84f4c333ec4423885143cb47bd71c5edae
                9be69a2ffeceb1bec9de244fbe15992b11b77c040f12bd8f6a975a44a0f90c29
                a9abc3d4d893927284c58754cce294529f8614dcd2aba991925fedc4ae74ffac
                6e333b93eb4aff0479da9a410e4450e0dd7ae4c6e2910900575da401fc07059f
                645e8b7e9bfdef33943054ff84011493c27b3429eaedb4ed5376441a77ed4385
                1ad77f16f541dfd269d50d6a5f14fb0aab1cbb4c1550be97f7ab4066193c4caa
                773dad38014bd2092fa755c824bb5e54c4f36ffda9fcea70b9c6e693e148c151""";
        assertEquals(ct.replaceAll("\\s+", ""), Hex.of(encrypt(
                "2718281828459045235360287471352662497757247093699959574966967627"
                        + "3141592653589793238462643383279502884197169399375105820974944592", 0xff, counting512())));
    }

    /** Many sectors in one call (more than one piece) give what one call per sector gives. */
    @Test
    void manySectorsAtOnceAsOneByOne() {
        Random r = new Random(7);
        for (int keyLen : new int[] {32, 48, 64}) {
            byte[] key = new byte[keyLen];
            r.nextBytes(key);
            byte[] plain = new byte[300 * 512];
            r.nextBytes(plain);
            byte[] whole = new byte[plain.length];
            new XtsSectors(key, new IvGenerator.Plain(8)).crypt(true, plain.clone(), 0, whole, 0, plain.length, 1000);
            XtsSectors one = new XtsSectors(key, new IvGenerator.Plain(8));
            byte[] each = new byte[plain.length];
            for (int s = 0; s < 300; s++) one.crypt(true, Arrays.copyOfRange(plain, s * 512, s * 512 + 512), 0, each, s * 512, 512, 1000 + s);
            assertArrayEquals(each, whole, "key of " + keyLen + " bytes");
        }
    }
}
