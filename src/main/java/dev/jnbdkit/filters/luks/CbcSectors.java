package dev.jnbdkit.filters.luks;

import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * AES-CBC on 512-byte sectors, each chained from its own IV. Rather than a {@code Cipher.init}
 * per sector, a piece of sectors goes through one CBC stream and the first block of each sector is
 * corrected for the chaining value the stream used (the last ciphertext block of the sector
 * before) instead of the sector's IV: after decrypting, {@code P0 ^= Cprev ^ IV}; before
 * encrypting, {@code P0 ^= IV ^ Cprev}, so that the stream computes {@code E(P0 ^ IV)}.
 */
final class CbcSectors implements SectorCipher {
    static final int PIECE = 128;
    private static final int BLOCK = IvGenerator.BLOCK;

    private final IvGenerator ivs;
    private final SecretKeySpec key;
    private final Cipher encrypt;
    private final Cipher decrypt;
    private final byte[] iv = new byte[PIECE * BLOCK];

    CbcSectors(byte[] key, IvGenerator ivs) {
        this.ivs = ivs;
        this.key = new SecretKeySpec(key, "AES");
        IvParameterSpec zero = new IvParameterSpec(new byte[BLOCK]);
        this.encrypt = Ciphers.aes("AES/CBC/NoPadding", Cipher.ENCRYPT_MODE, this.key, zero);
        this.decrypt = Ciphers.aes("AES/CBC/NoPadding", Cipher.DECRYPT_MODE, this.key, zero);
    }

    @Override
    public void crypt(boolean enc, byte[] in, int inOff, byte[] out, int outOff, int len, long sector) {
        if (len % SECTOR != 0) throw new IllegalArgumentException("not whole sectors: " + len);
        for (int done = 0; done < len; ) {
            int n = Math.min(PIECE, (len - done) / SECTOR);
            ivs.fill(sector, n, iv);
            if (enc) encryptPiece(in, inOff + done, out, outOff + done, n);
            else decryptPiece(in, inOff + done, out, outOff + done, n);
            done += n * SECTOR;
            sector += n;
        }
    }

    private void decryptPiece(byte[] in, int inOff, byte[] out, int outOff, int n) {
        Ciphers.init(decrypt, Cipher.DECRYPT_MODE, key, new IvParameterSpec(iv, 0, BLOCK));
        Ciphers.run(decrypt, in, inOff, n * SECTOR, out, outOff);
        for (int s = 1; s < n; s++) {
            int first = outOff + s * SECTOR;
            int prevLast = inOff + s * SECTOR - BLOCK;
            for (int i = 0; i < BLOCK; i++) out[first + i] ^= (byte) (in[prevLast + i] ^ iv[s * BLOCK + i]);
        }
    }

    private void encryptPiece(byte[] in, int inOff, byte[] out, int outOff, int n) {
        Ciphers.init(encrypt, Cipher.ENCRYPT_MODE, key, new IvParameterSpec(iv, 0, BLOCK));
        for (int s = 0; s < n; s++) {
            if (s > 0) {
                int first = inOff + s * SECTOR;
                int prevLast = outOff + s * SECTOR - BLOCK;
                for (int i = 0; i < BLOCK; i++) in[first + i] ^= (byte) (iv[s * BLOCK + i] ^ out[prevLast + i]);
            }
            Ciphers.step(encrypt, in, inOff + s * SECTOR, SECTOR, out, outOff + s * SECTOR);
        }
    }
}
