package dev.jnbdkit.filters.ext2;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * One on-disk inode (128 bytes, or s_inode_size with large inodes), with the fields the reader
 * uses. {@code raw} is the whole on-disk inode; {@code location} is its byte offset in the image
 * (for the in-place update of inline data).
 */
record Inode(long number, long location, byte[] raw) {
    static final int S_IFMT = 0xF000;
    static final int S_IFREG = 0x8000;
    static final int S_IFDIR = 0x4000;
    static final int S_IFLNK = 0xA000;

    static final int INDEX_FL = 0x1000;
    static final int EXTENTS_FL = 0x80000;
    static final int INLINE_DATA_FL = 0x10000000;

    /** Offset of i_block, the 60 bytes that hold block pointers, an extent tree root or inline data. */
    static final int I_BLOCK = 0x28;
    static final int I_BLOCK_SIZE = 60;
    static final int GOOD_OLD_SIZE = 128;

    private ByteBuffer le() { return ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN); }

    int mode() { return Short.toUnsignedInt(le().getShort(0x00)); }

    boolean isRegular() { return (mode() & S_IFMT) == S_IFREG; }

    boolean isDirectory() { return (mode() & S_IFMT) == S_IFDIR; }

    boolean isSymlink() { return (mode() & S_IFMT) == S_IFLNK; }

    /** i_size with i_size_high (ext2fs's EXT2_I_SIZE). */
    long size() {
        ByteBuffer b = le();
        return Integer.toUnsignedLong(b.getInt(0x04)) | Integer.toUnsignedLong(b.getInt(0x6C)) << 32;
    }

    int flags() { return le().getInt(0x20); }

    int generation() { return le().getInt(0x64); }

    boolean usesExtents() { return (flags() & EXTENTS_FL) != 0; }

    boolean hasInlineData() { return (flags() & INLINE_DATA_FL) != 0; }

    /** A copy of i_block. */
    byte[] iBlock() { return java.util.Arrays.copyOfRange(raw, I_BLOCK, I_BLOCK + I_BLOCK_SIZE); }

    /** i_extra_isize: the bytes used past the first 128 in a large inode (0 for a 128-byte inode). */
    int extraIsize() {
        return raw.length > GOOD_OLD_SIZE ? Short.toUnsignedInt(le().getShort(0x80)) : 0;
    }

    /** Whether the checksum's high 16 bits (i_checksum_hi at 0x82) are in use. */
    boolean hasChecksumHi() { return raw.length > GOOD_OLD_SIZE && extraIsize() >= 4; }

    /** ext4's inode checksum: crc32c of the number, the generation and the inode with its checksum fields as zeros. */
    int computeChecksum(int seed) {
        byte[] copy = raw.clone();
        copy[0x7C] = copy[0x7D] = 0;
        if (hasChecksumHi()) copy[0x82] = copy[0x83] = 0;
        int crc = Crc32c.updateLe32(seed, (int) number);
        crc = Crc32c.updateLe32(crc, generation());
        crc = Crc32c.update(crc, copy);
        return hasChecksumHi() ? crc : crc & 0xFFFF;
    }

    int storedChecksum() {
        ByteBuffer b = le();
        int lo = Short.toUnsignedInt(b.getShort(0x7C));
        return hasChecksumHi() ? lo | Short.toUnsignedInt(b.getShort(0x82)) << 16 : lo;
    }

    /** Writes {@link #computeChecksum} into the checksum fields of {@link #raw}. */
    void storeChecksum(int seed) {
        int c = computeChecksum(seed);
        ByteBuffer b = le();
        b.putShort(0x7C, (short) c);
        if (hasChecksumHi()) b.putShort(0x82, (short) (c >>> 16));
    }

    /** The library accepts an inode whose checksum does not match only if the inode is all zeros. */
    boolean checksumValid(int seed) {
        if (computeChecksum(seed) == storedChecksum()) return true;
        for (byte x : raw) if (x != 0) return false;
        return true;
    }
}
