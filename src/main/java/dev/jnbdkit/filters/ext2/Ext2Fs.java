package dev.jnbdkit.filters.ext2;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An ext2, ext3 or ext4 filesystem opened on a {@link BlockDevice}: the superblock and group
 * descriptors read and checked as the ext2fs library's ext2fs_open does, then inodes and their
 * block maps on demand. Metadata blocks are kept in a small LRU cache. The journal is neither
 * read nor replayed (ext2fs_open does not replay it either).
 */
final class Ext2Fs {
    static final long ROOT_INO = 2;
    private static final int CACHE_BLOCKS = 256;

    private final BlockDevice device;
    private final Superblock sb;
    private final GroupDescriptors groups;
    private final int blockSize;
    private final int csumSeed;
    private final Map<Long, ByteBuffer> cache = new LinkedHashMap<>(64, 0.75f, true) {
        @Override protected boolean removeEldestEntry(Map.Entry<Long, ByteBuffer> e) { return size() > CACHE_BLOCKS; }
    };

    private Ext2Fs(BlockDevice device, Superblock sb) {
        this.device = device;
        this.sb = sb;
        this.blockSize = sb.blockSize();
        this.csumSeed = sb.csumSeed();
        this.groups = GroupDescriptors.read(sb, this::block);
    }

    /** Opens the filesystem; {@code readWrite}: for writing (read-only features then refuse it). */
    static Ext2Fs open(BlockDevice device, boolean readWrite) {
        ByteBuffer raw = ByteBuffer.allocate(Superblock.SIZE);
        readImage(device, Superblock.OFFSET, raw);
        Superblock sb = Superblock.parse(raw.flip());
        sb.validate(readWrite);
        return new Ext2Fs(device, sb);
    }

    Superblock superblock() { return sb; }

    int blockSize() { return blockSize; }

    GroupDescriptors groups() { return groups; }

    /** The bytes of filesystem block {@code n} (read-only, shared: do not change them). */
    synchronized ByteBuffer block(long n) {
        ByteBuffer b = cache.get(n);
        if (b == null) {
            if (n < 0 || n >= sb.blocksCount()) throw new Ext2Exception(Ext2Error.BAD_BLOCK_NUM);
            b = ByteBuffer.allocate(blockSize);
            readImage(device, n * blockSize, b);
            b = b.flip().asReadOnlyBuffer();
            cache.put(n, b);
        }
        return b.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Forgets cached copies of the blocks that {@code [offset, offset + length)} of the image touches. */
    synchronized void invalidate(long offset, long length) {
        if (length <= 0) return;
        for (long n = offset / blockSize; n <= (offset + length - 1) / blockSize; n++) cache.remove(n);
    }

    /** Inode {@code ino} (ext2fs_read_inode: number in range, checksum with metadata_csum). */
    Inode inode(long ino) {
        if (ino < 1 || ino > sb.inodesCount()) throw new Ext2Exception(Ext2Error.BAD_INODE_NUM);
        long group = (ino - 1) / sb.inodesPerGroup();
        long index = (ino - 1) % sb.inodesPerGroup();
        long table = groups.inodeTable(group);
        int size = sb.inodeSize();
        long byteInTable = index * size;
        long blk = table + byteInTable / blockSize;
        if (table < sb.firstDataBlock() || blk >= sb.blocksCount()) throw new Ext2Exception(Ext2Error.GDESC_BAD_INODE_TABLE);
        ByteBuffer b = block(blk);
        byte[] raw = new byte[size];
        b.get((int) (byteInTable % blockSize), raw);
        Inode inode = new Inode(ino, blk * blockSize + byteInTable % blockSize, raw);
        if (sb.metadataCsum() && !inode.checksumValid(csumSeed)) throw new Ext2Exception(Ext2Error.INODE_CSUM_INVALID);
        return inode;
    }

    /** The block map of an inode without inline data. */
    BlockMap blockMap(Inode inode) {
        if (inode.usesExtents()) return new ExtentTree(inode.iBlock(), this::block, blockSize, sb.blocksCount());
        return new IndirectMap(inode.iBlock(), this::block, blockSize, sb.firstDataBlock(), sb.blocksCount());
    }

    /**
     * Writes a changed inode back where it was read from, its checksum first brought up to date
     * (metadata_csum).
     */
    void writeInode(Inode inode) {
        if (sb.metadataCsum()) inode.storeChecksum(csumSeed);
        device.write(inode.location(), ByteBuffer.wrap(inode.raw()));
        invalidate(inode.location(), inode.raw().length);
    }

    /** Reads the image, failing with the library's "short read" if it ends first. */
    static void readImage(BlockDevice device, long offset, ByteBuffer dst) {
        if (offset < 0 || offset + dst.remaining() > device.size()) throw new Ext2Exception(Ext2Error.SHORT_READ);
        device.read(offset, dst);
        dst.position(dst.limit());
    }
}
