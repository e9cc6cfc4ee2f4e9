package dev.jnbdkit.filters.luks;

/**
 * Encryption of whole 512-byte LUKS sectors, each with the IV of its sector number (counted
 * from the start of the payload, or of the key material). One instance holds JDK {@code Cipher}s
 * and scratch space: not thread-safe, one per thread at a time.
 */
sealed interface SectorCipher permits XtsSectors, CbcSectors {
    int SECTOR = 512;

    /**
     * Encrypts or decrypts the {@code len} bytes (whole sectors) at {@code in[inOff]} into
     * {@code out[outOff]}, the first being sector {@code sector}. The two ranges must not
     * overlap; {@code in}'s bytes are scratch and may be changed.
     */
    void crypt(boolean encrypt, byte[] in, int inOff, byte[] out, int outOff, int len, long sector);
}
