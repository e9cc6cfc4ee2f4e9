package dev.jnbdkit.filters.ext2;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The fields of the ext2/3/4 superblock (1024 bytes at byte 1024 of the image) that the reader
 * needs, and the checks the ext2fs library makes before it trusts them, in the library's order,
 * so a bad image fails with the library's message.
 */
record Superblock(
        long inodesCount, long blocksCount, long firstDataBlock, int logBlockSize, int logClusterSize,
        long blocksPerGroup, long clustersPerGroup, long inodesPerGroup, int magic, long revLevel,
        int inodeSize, int featureCompat, int featureIncompat, int featureRoCompat, byte[] uuid,
        int descSizeField, long firstMetaBg, int checksumType, int checksumSeed, int checksum,
        long[] backupBgs, boolean checksumMatches) {

    static final int OFFSET = 1024;
    static final int SIZE = 1024;
    static final int MAGIC = 0xEF53;
    /** The newest revision the library knows (EXT2_DYNAMIC_REV). */
    static final int CURRENT_REV = 1;

    // s_feature_compat
    static final int COMPAT_SPARSE_SUPER2 = 0x200;
    // s_feature_incompat
    static final int INCOMPAT_FILETYPE = 0x2;
    static final int INCOMPAT_JOURNAL_DEV = 0x8;
    static final int INCOMPAT_META_BG = 0x10;
    static final int INCOMPAT_64BIT = 0x80;
    static final int INCOMPAT_CSUM_SEED = 0x2000;
    /** What the library (e2fsprogs 1.47) opens; anything else is "unsupported feature(s)". */
    static final int INCOMPAT_SUPPORTED = 0x3E7DE;
    // s_feature_ro_compat
    static final int RO_COMPAT_SPARSE_SUPER = 0x1;
    static final int RO_COMPAT_BIGALLOC = 0x200;
    static final int RO_COMPAT_METADATA_CSUM = 0x400;
    /** What the library opens for writing; anything else refuses a read-write open. */
    static final int RO_COMPAT_SUPPORTED = 0x1F77B;

    /** Parses the 1024 bytes of a superblock (no checks: see {@link #validate}). */
    static Superblock parse(ByteBuffer raw) {
        ByteBuffer b = raw.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int base = b.position();
        int incompat = b.getInt(base + 0x60);
        long blocksLo = u32(b, base + 0x04);
        long blocksHi = (incompat & INCOMPAT_64BIT) != 0 ? u32(b, base + 0x150) : 0;
        byte[] uuid = new byte[16];
        b.get(base + 0x68, uuid);
        byte[] covered = new byte[0x3FC];
        b.get(base, covered);
        int stored = b.getInt(base + 0x3FC);
        long rev = u32(b, base + 0x4C);
        return new Superblock(
                u32(b, base), blocksLo | blocksHi << 32, u32(b, base + 0x14), b.getInt(base + 0x18),
                b.getInt(base + 0x1C), u32(b, base + 0x20), u32(b, base + 0x24), u32(b, base + 0x28),
                u16(b, base + 0x38), rev, rev == 0 ? 128 : u16(b, base + 0x58), b.getInt(base + 0x5C),
                incompat, b.getInt(base + 0x64), uuid, u16(b, base + 0xFE), u32(b, base + 0x104),
                b.get(base + 0x175) & 0xff, b.getInt(base + 0x270), stored,
                new long[] {u32(b, base + 0x24C), u32(b, base + 0x250)},
                // ext4's superblock checksum: crc32c_le(~0, the first 1020 bytes)
                Crc32c.update(-1, covered) == stored);
    }

    /**
     * The library's checks of ext2fs_open, in its order: the first that fails is the error.
     * {@code readWrite}: the image is to be opened for writing (read-only features then count).
     */
    void validate(boolean readWrite) {
        Ext2Error csum = null;
        if (metadataCsum()) {
            if (checksumType != 1) csum = Ext2Error.UNKNOWN_CSUM;
            if (!checksumMatches) csum = Ext2Error.SB_CSUM_INVALID;
        }
        if (magic != MAGIC) throw new Ext2Exception(Ext2Error.BAD_MAGIC);
        if (csum != null) throw new Ext2Exception(csum);
        if (revLevel > CURRENT_REV) throw new Ext2Exception(Ext2Error.REV_TOO_HIGH);
        if ((featureIncompat & ~INCOMPAT_SUPPORTED) != 0) throw new Ext2Exception(Ext2Error.UNSUPP_FEATURE);
        if (readWrite && (featureRoCompat & ~RO_COMPAT_SUPPORTED) != 0) {
            throw new Ext2Exception(Ext2Error.RO_UNSUPP_FEATURE);
        }
        if ((featureIncompat & INCOMPAT_JOURNAL_DEV) != 0) throw new Ext2Exception(Ext2Error.UNSUPP_FEATURE);
        if (Integer.toUnsignedLong(logBlockSize) > 6) throw new Ext2Exception(Ext2Error.CORRUPT_SUPERBLOCK);
        if (!bigalloc() && logBlockSize != logClusterSize) throw new Ext2Exception(Ext2Error.CORRUPT_SUPERBLOCK);
        if (inodeSize < 128 || inodeSize > blockSize() || Integer.bitCount(inodeSize) != 1) {
            throw new Ext2Exception(Ext2Error.CORRUPT_SUPERBLOCK);
        }
        if (is64bit() && (descSizeField < 64 || descSizeField > 1024 || Integer.bitCount(descSizeField) != 1)) {
            throw new Ext2Exception(Ext2Error.BAD_DESC_SIZE);
        }
        int ratioBits = bigalloc() ? logClusterSize - logBlockSize : 0;
        if (ratioBits < 0 || ratioBits > 31 || blocksPerGroup != clustersPerGroup << ratioBits) {
            throw new Ext2Exception(Ext2Error.CORRUPT_SUPERBLOCK);
        }
        if (inodesPerGroup == 0) throw new Ext2Exception(Ext2Error.CORRUPT_SUPERBLOCK);
        long maxBlocksPerGroup = ((1L << 16) - 8) << ratioBits;
        long inodeBlocksPerGroup = (inodesPerGroup * inodeSize + blockSize() - 1) / blockSize();
        long maxInodesPerGroup = (1L << 16) - blockSize() / inodeSize;
        if (blocksPerGroup < 8 || blocksPerGroup > maxBlocksPerGroup || inodeBlocksPerGroup > maxInodesPerGroup
                || firstDataBlock >= blocksCount) {
            throw new Ext2Exception(Ext2Error.CORRUPT_SUPERBLOCK);
        }
        long groups = groupCount();
        if (groups >>> 32 != 0 || groups * inodesPerGroup != inodesCount) {
            throw new Ext2Exception(Ext2Error.CORRUPT_SUPERBLOCK);
        }
    }

    int blockSize() { return 1024 << logBlockSize; }

    long groupCount() { return (blocksCount - firstDataBlock + blocksPerGroup - 1) / blocksPerGroup; }

    /** Bytes per group descriptor: 32, or s_desc_size with the 64bit feature. */
    int descSize() { return is64bit() ? descSizeField : 32; }

    boolean is64bit() { return (featureIncompat & INCOMPAT_64BIT) != 0; }

    boolean metaBg() { return (featureIncompat & INCOMPAT_META_BG) != 0; }

    boolean hasFiletype() { return (featureIncompat & INCOMPAT_FILETYPE) != 0; }

    boolean metadataCsum() { return (featureRoCompat & RO_COMPAT_METADATA_CSUM) != 0; }

    boolean bigalloc() { return (featureRoCompat & RO_COMPAT_BIGALLOC) != 0; }

    boolean sparseSuper() { return (featureRoCompat & RO_COMPAT_SPARSE_SUPER) != 0; }

    boolean sparseSuper2() { return (featureCompat & COMPAT_SPARSE_SUPER2) != 0; }

    /** The seed of every metadata checksum: s_checksum_seed, or the CRC of the filesystem UUID. */
    int csumSeed() {
        return (featureIncompat & INCOMPAT_CSUM_SEED) != 0 ? checksumSeed : Crc32c.update(-1, uuid);
    }

    /** Whether group {@code g} holds a copy of the superblock (and so of the descriptors). */
    boolean groupHasSuper(long g) {
        if (g == 0) return true;
        if (sparseSuper2()) return g == backupBgs[0] || g == backupBgs[1];
        if (g <= 1 || !sparseSuper()) return true;
        if ((g & 1) == 0) return false;
        return isPowerOf(g, 3) || isPowerOf(g, 5) || isPowerOf(g, 7);
    }

    private static boolean isPowerOf(long g, int base) {
        long p = base;
        while (p < g) p *= base;
        return p == g;
    }

    static long u32(ByteBuffer b, int at) { return Integer.toUnsignedLong(b.getInt(at)); }

    static int u16(ByteBuffer b, int at) { return Short.toUnsignedInt(b.getShort(at)); }
}
