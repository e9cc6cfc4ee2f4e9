package dev.jnbdkit.filters.ext2;

/**
 * CRC-32C (Castagnoli) the way ext4's metadata checksums chain it: {@code crc32c_le(seed, data)}
 * with no final inversion, so that a checksum can start from a seed stored in the superblock
 * ({@code java.util.zip.CRC32C} always starts from ~0 and inverts at the end).
 */
final class Crc32c {
    private static final int[] TABLE = new int[256];

    static {
        for (int n = 0; n < 256; n++) {
            int c = n;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? (c >>> 1) ^ 0x82F63B78 : c >>> 1;
            TABLE[n] = c;
        }
    }

    private Crc32c() {}

    /** The running CRC {@code crc} extended over {@code length} bytes of {@code b} at {@code offset}. */
    static int update(int crc, byte[] b, int offset, int length) {
        for (int i = offset; i < offset + length; i++) crc = TABLE[(crc ^ b[i]) & 0xff] ^ (crc >>> 8);
        return crc;
    }

    static int update(int crc, byte[] b) { return update(crc, b, 0, b.length); }

    /** The running CRC extended over a little-endian 32-bit value (an inode number, a generation). */
    static int updateLe32(int crc, int value) {
        byte[] b = {(byte) value, (byte) (value >>> 8), (byte) (value >>> 16), (byte) (value >>> 24)};
        return update(crc, b);
    }
}
