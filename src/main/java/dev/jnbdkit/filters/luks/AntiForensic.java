package dev.jnbdkit.filters.luks;

/**
 * LUKS's anti-forensic information splitter, the merge direction: a key slot stores the master
 * key spread over {@code stripes} stripes of key length, so that wiping a few sectors destroys it.
 * Merging XORs the stripes in turn into an accumulator diffused by the hash after each one but the
 * last: {@code d = H'(d ^ s[i])} for the first {@code stripes - 1}, then {@code key = d ^ s[last]}.
 * H' hashes the accumulator digest-sized piece by piece, each piece prefixed by its index as a
 * big-endian 32-bit number, the last piece's digest cut to the piece's length.
 */
final class AntiForensic {
    private AntiForensic() {}

    /** The key ({@code keyLength} bytes) merged from the first {@code keyLength * stripes} bytes of {@code material}. */
    static byte[] merge(LuksHash hash, byte[] material, int keyLength, int stripes) {
        if (stripes < 1 || (long) keyLength * stripes > material.length) {
            throw new IllegalArgumentException("key material too short for " + stripes + " stripes");
        }
        LuksHash.Hasher h = hash.newHasher();
        byte[] d = new byte[keyLength];
        byte[] digest = new byte[hash.length];
        for (int s = 0; s < stripes - 1; s++) {
            int base = s * keyLength;
            for (int i = 0; i < keyLength; i++) d[i] ^= material[base + i];
            diffuse(h, hash.length, d, digest);
        }
        int last = (stripes - 1) * keyLength;
        byte[] key = new byte[keyLength];
        for (int i = 0; i < keyLength; i++) key[i] = (byte) (d[i] ^ material[last + i]);
        java.util.Arrays.fill(d, (byte) 0);
        return key;
    }

    /** H' of {@code block}, in place. */
    static void diffuse(LuksHash.Hasher h, int digestLength, byte[] block, byte[] digest) {
        byte[] index = new byte[4];
        for (int piece = 0, pos = 0; pos < block.length; piece++, pos += digestLength) {
            int len = Math.min(digestLength, block.length - pos);
            index[0] = (byte) (piece >>> 24);
            index[1] = (byte) (piece >>> 16);
            index[2] = (byte) (piece >>> 8);
            index[3] = (byte) piece;
            h.update(index, 0, 4);
            h.update(block, pos, len);
            h.digest(digest, 0);
            System.arraycopy(digest, 0, block, pos, len);
        }
    }
}
