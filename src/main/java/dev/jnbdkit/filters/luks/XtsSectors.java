package dev.jnbdkit.filters.luks;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import javax.crypto.Cipher;
import javax.crypto.spec.SecretKeySpec;

/**
 * AES-XTS (IEEE 1619) on 512-byte sectors, built from the JDK's AES-ECB (no JDK provider has
 * XTS). The key is two AES keys: the first encrypts the data, the second the sector's IV into the
 * initial tweak T. Block j of a sector is {@code E(P ^ T_j) ^ T_j} with {@code T_j = T * α^j} in
 * GF(2^128) (little-endian, reduction 0x87). Whole sectors are always multiples of the AES block,
 * so there is no ciphertext stealing.
 *
 * <p>Each piece of up to {@link #PIECE} sectors costs one ECB call for all the tweaks and one for
 * all the data (the JDK's AES runs on the CPU's AES instructions), with the tweak XORs done 8
 * bytes at a time in between.
 */
final class XtsSectors implements SectorCipher {
    /** Sectors per cipher call. */
    static final int PIECE = 128;
    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private final IvGenerator ivs;
    private final Cipher tweakCipher;
    private final Cipher encrypt;
    private final Cipher decrypt;
    private final byte[] tweaks = new byte[PIECE * IvGenerator.BLOCK];

    XtsSectors(byte[] key, IvGenerator ivs) {
        int half = key.length / 2;
        SecretKeySpec data = new SecretKeySpec(key, 0, half, "AES");
        SecretKeySpec tweak = new SecretKeySpec(key, half, half, "AES");
        this.ivs = ivs;
        this.tweakCipher = Ciphers.aes("AES/ECB/NoPadding", Cipher.ENCRYPT_MODE, tweak, null);
        this.encrypt = Ciphers.aes("AES/ECB/NoPadding", Cipher.ENCRYPT_MODE, data, null);
        this.decrypt = Ciphers.aes("AES/ECB/NoPadding", Cipher.DECRYPT_MODE, data, null);
    }

    @Override
    public void crypt(boolean enc, byte[] in, int inOff, byte[] out, int outOff, int len, long sector) {
        if (len % SECTOR != 0) throw new IllegalArgumentException("not whole sectors: " + len);
        for (int done = 0; done < len; ) {
            int n = Math.min(PIECE, (len - done) / SECTOR);
            int bytes = n * SECTOR;
            ivs.fill(sector, n, tweaks);
            Ciphers.run(tweakCipher, tweaks, 0, n * IvGenerator.BLOCK, tweaks, 0);
            applyTweaks(in, inOff + done, n);
            Ciphers.run(enc ? encrypt : decrypt, in, inOff + done, bytes, out, outOff + done);
            applyTweaks(out, outOff + done, n);
            done += bytes;
            sector += n;
        }
    }

    /** XORs each block of the {@code n} sectors at {@code b[off]} with its tweak. */
    private void applyTweaks(byte[] b, int off, int n) {
        for (int s = 0; s < n; s++) {
            long lo = (long) LONG.get(tweaks, s * 16);
            long hi = (long) LONG.get(tweaks, s * 16 + 8);
            int p = off + s * SECTOR;
            for (int j = 0; j < SECTOR / 16; j++, p += 16) {
                LONG.set(b, p, (long) LONG.get(b, p) ^ lo);
                LONG.set(b, p + 8, (long) LONG.get(b, p + 8) ^ hi);
                // T *= α: shift the 128-bit little-endian number left; the bit that falls off
                // the top comes back as the polynomial x^7 + x^2 + x + 1.
                long carry = hi >> 63;
                hi = (hi << 1) | (lo >>> 63);
                lo = (lo << 1) ^ (carry & 0x87);
            }
        }
    }
}
