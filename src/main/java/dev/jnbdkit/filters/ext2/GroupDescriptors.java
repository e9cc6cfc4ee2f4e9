package dev.jnbdkit.filters.ext2;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.function.LongFunction;

/**
 * The block group descriptor table, reduced to what the reader needs: where each group's inode
 * table starts. Descriptors are 32 bytes, or {@code s_desc_size} (64 or more) with the 64bit
 * feature, whose high halves hold the upper 32 bits of each block number. Without meta_bg the
 * table follows the superblock; with meta_bg, descriptor block {@code i} from
 * {@code s_first_meta_bg} on lives at the start of group {@code i * descriptorsPerBlock}.
 */
final class GroupDescriptors {
    private final long[] inodeTables;

    private GroupDescriptors(long[] inodeTables) { this.inodeTables = inodeTables; }

    /** Reads the table; {@code block} returns the bytes of one filesystem block. */
    static GroupDescriptors read(Superblock sb, LongFunction<ByteBuffer> block) {
        long groups = sb.groupCount();
        int bs = sb.blockSize();
        int descSize = sb.descSize();
        int perBlock = bs / descSize;
        long[] tables = new long[Math.toIntExact(groups)];
        long descBlocks = (groups + perBlock - 1) / perBlock;
        for (long i = 0; i < descBlocks; i++) {
            ByteBuffer b = block.apply(location(sb, i, perBlock)).duplicate().order(ByteOrder.LITTLE_ENDIAN);
            for (int j = 0; j < perBlock; j++) {
                long g = i * perBlock + j;
                if (g >= groups) break;
                int at = j * descSize;
                long lo = Superblock.u32(b, at + 0x08);
                long hi = sb.is64bit() && descSize >= 64 ? Superblock.u32(b, at + 0x28) : 0;
                tables[(int) g] = lo | hi << 32;
            }
        }
        return new GroupDescriptors(tables);
    }

    /** The block that holds descriptor block {@code i} (ext2fs_descriptor_block_loc2 for the primary copy). */
    static long location(Superblock sb, long i, int perBlock) {
        // A 1 KiB-block filesystem whose first data block is 0 (bigalloc) has its superblock in
        // block 1, so everything after it moves one block on.
        long adjust = sb.blockSize() == 1024 && sb.firstDataBlock() == 0 ? 1 : 0;
        if (!sb.metaBg() || i < sb.firstMetaBg()) return sb.firstDataBlock() + 1 + i + adjust;
        long group = i * perBlock;
        long first = sb.firstDataBlock() + group * sb.blocksPerGroup();
        return first + (sb.groupHasSuper(group) ? 1 : 0) + (group == 0 ? adjust : 0);
    }

    long count() { return inodeTables.length; }

    /** First block of group {@code g}'s inode table. */
    long inodeTable(long g) { return inodeTables[Math.toIntExact(g)]; }
}
