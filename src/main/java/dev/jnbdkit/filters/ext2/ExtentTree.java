package dev.jnbdkit.filters.ext2;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.function.LongFunction;

/**
 * An ext4 extent tree: a 12-byte header ({@code eh_magic 0xF30A, eh_entries, eh_max, eh_depth})
 * then 12-byte entries, in the inode's i_block (the root, up to 4 entries) and in whole blocks
 * below it. Index entries ({@code ei_block, ei_leaf}) lead one level down; leaf entries
 * ({@code ee_block, ee_len, ee_start}) map {@code ee_len} logical blocks, marked unwritten when
 * {@code ee_len > 32768}. Nodes are checked as the ext2fs library checks them.
 */
final class ExtentTree implements BlockMap {
    static final int MAGIC = 0xF30A;
    static final int MAX_DEPTH = 5;
    private static final int HEADER = 12;
    private static final int ENTRY = 12;
    private static final int INIT_MAX_LEN = 1 << 15;

    private final byte[] root;
    private final LongFunction<ByteBuffer> block;
    private final int blockSize;
    private final long blocksCount;

    /**
     * @param root        the inode's i_block
     * @param block       reads one filesystem block
     * @param blocksCount the filesystem's size in blocks: pointers beyond it are corrupt
     */
    ExtentTree(byte[] root, LongFunction<ByteBuffer> block, int blockSize, long blocksCount) {
        this.root = root.clone();
        this.block = block;
        this.blockSize = blockSize;
        this.blocksCount = blocksCount;
    }

    @Override
    public Run find(long logical) {
        ByteBuffer node = ByteBuffer.wrap(root).order(ByteOrder.LITTLE_ENDIAN);
        int depth = checkHeader(node, root.length, -1);
        if (depth > MAX_DEPTH) throw new Ext2Exception(Ext2Error.EXTENT_HEADER_BAD);
        long upper = LOGICAL_LIMIT; // first logical block past this node's range
        while (true) {
            int entries = Short.toUnsignedInt(node.getShort(2));
            // the last entry whose first logical block is <= logical
            int lo = 0, hi = entries - 1, found = -1;
            while (lo <= hi) {
                int mid = (lo + hi) >>> 1;
                if (Integer.toUnsignedLong(node.getInt(HEADER + mid * ENTRY)) <= logical) {
                    found = mid;
                    lo = mid + 1;
                } else {
                    hi = mid - 1;
                }
            }
            if (found + 1 < entries) upper = Integer.toUnsignedLong(node.getInt(HEADER + (found + 1) * ENTRY));
            if (depth == 0) return leaf(node, found, logical, upper);
            if (found < 0) return new Run(logical, Math.max(1, upper - logical), 0, false);
            int at = HEADER + found * ENTRY;
            long child = Integer.toUnsignedLong(node.getInt(at + 4))
                    | (long) Short.toUnsignedInt(node.getShort(at + 8)) << 32;
            if (child == 0 || child >= blocksCount) throw new Ext2Exception(Ext2Error.EXTENT_INDEX_BAD);
            node = block.apply(child).duplicate().order(ByteOrder.LITTLE_ENDIAN);
            depth = checkHeader(node, blockSize, depth - 1);
        }
    }

    private Run leaf(ByteBuffer node, int found, long logical, long upper) {
        if (found >= 0) {
            int at = HEADER + found * ENTRY;
            long first = Integer.toUnsignedLong(node.getInt(at));
            int rawLen = Short.toUnsignedInt(node.getShort(at + 4));
            boolean unwritten = rawLen > INIT_MAX_LEN;
            long len = unwritten ? rawLen - INIT_MAX_LEN : rawLen;
            long start = Integer.toUnsignedLong(node.getInt(at + 8))
                    | (long) Short.toUnsignedInt(node.getShort(at + 6)) << 32;
            if (logical < first + len) {
                long physical = start + (logical - first);
                if (start == 0 || start + len > blocksCount) throw new Ext2Exception(Ext2Error.EXTENT_BAD);
                return new Run(logical, first + len - logical, physical, unwritten);
            }
        }
        return new Run(logical, Math.max(1, upper - logical), 0, false);
    }

    /** ext2fs_extent_header_verify, plus the depth the parent promised (-1: the root, any depth). */
    private static int checkHeader(ByteBuffer node, int size, int expectedDepth) {
        int magic = Short.toUnsignedInt(node.getShort(0));
        int entries = Short.toUnsignedInt(node.getShort(2));
        int max = Short.toUnsignedInt(node.getShort(4));
        int depth = Short.toUnsignedInt(node.getShort(6));
        int fits = (size - HEADER) / ENTRY;
        // two entries' room may be left at the end of a block (the checksum tail)
        if (magic != MAGIC || entries > max || max > fits || max < fits - 2
                || (expectedDepth >= 0 && depth != expectedDepth)) {
            throw new Ext2Exception(Ext2Error.EXTENT_HEADER_BAD);
        }
        return depth;
    }
}
