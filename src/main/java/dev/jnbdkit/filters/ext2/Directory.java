package dev.jnbdkit.filters.ext2;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Name lookup in a directory (ext2fs_lookup). Directory blocks are read in logical order and
 * their entries ({@code inode u32, rec_len u16, name_len u8, file_type u8, name}) scanned in
 * turn: this finds a name in a linear directory and in an htree (dir_index) one alike, because
 * an htree keeps every entry in ordinary leaf blocks and hides its index inside entries that the
 * scan skips (the root's ".." record, and internal nodes that look like one empty entry).
 * Inline directories keep their parent's inode number in the first 4 bytes of i_block, then
 * entries in the rest and in the system.data attribute.
 */
final class Directory {
    /** What metadata_csum puts at the end of each directory block: an empty entry of 12 bytes. */
    private static final int CSUM_TAIL = 12;

    private Directory() {}

    /** The inode number named {@code name} in directory {@code dir}, or FILE_NOT_FOUND. */
    static long lookup(Ext2Fs fs, long dir, byte[] name) {
        Inode inode = fs.inode(dir);
        if (!inode.isDirectory()) throw new Ext2Exception(Ext2Error.NO_DIRECTORY);
        long found = inode.hasInlineData() ? lookupInline(fs, inode, name) : lookupBlocks(fs, inode, name);
        if (found == 0) throw new Ext2Exception(Ext2Error.FILE_NOT_FOUND);
        return found;
    }

    private static long lookupBlocks(Ext2Fs fs, Inode inode, byte[] name) {
        int bs = fs.blockSize();
        BlockMap map = fs.blockMap(inode);
        long blocks = (inode.size() + bs - 1) / bs;
        long logical = 0;
        while (logical < blocks) {
            BlockMap.Run run = map.find(logical);
            long n = Math.min(run.count(), blocks - logical);
            if (!run.hole()) {
                for (long i = 0; i < n; i++) {
                    ByteBuffer b = fs.block(run.physical() + i);
                    int length = bs;
                    if (fs.superblock().metadataCsum() && hasCsumTail(b, bs)) length = bs - CSUM_TAIL;
                    long ino = scan(b, 0, length, fs.superblock().hasFiletype(), name);
                    if (ino != 0) return ino;
                }
            }
            logical += n;
        }
        return 0;
    }

    private static long lookupInline(Ext2Fs fs, Inode inode, byte[] name) {
        byte[] data = InlineData.of(inode).bytes();
        ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        if (Arrays.equals(name, new byte[] {'.'})) return inode.number();
        if (Arrays.equals(name, new byte[] {'.', '.'})) return Integer.toUnsignedLong(b.getInt(0));
        boolean filetype = fs.superblock().hasFiletype();
        long ino = scan(b, 4, Inode.I_BLOCK_SIZE, filetype, name);
        if (ino == 0 && data.length > Inode.I_BLOCK_SIZE) ino = scan(b, Inode.I_BLOCK_SIZE, data.length, filetype, name);
        return ino;
    }

    private static boolean hasCsumTail(ByteBuffer b, int bs) {
        int at = bs - CSUM_TAIL;
        return b.getInt(at) == 0 && Short.toUnsignedInt(b.getShort(at + 4)) == CSUM_TAIL
                && b.get(at + 6) == 0 && (b.get(at + 7) & 0xff) == 0xDE;
    }

    /**
     * The inode of the entry named {@code name} in {@code [from, to)} of {@code b}, or 0. Entries are
     * checked as ext2fs_process_dir_block checks them (EXT2 directory corrupted).
     */
    static long scan(ByteBuffer b, int from, int to, boolean filetype, byte[] name) {
        int offset = from;
        while (offset < to - 8) {
            long ino = Integer.toUnsignedLong(b.getInt(offset));
            int recLen = recLen(Short.toUnsignedInt(b.getShort(offset + 4)), to - from);
            // name_len is one byte with the filetype feature, two without; names are at most 255 bytes
            int nameLen = b.get(offset + 6) & 0xff;
            if (offset + recLen > to || recLen < 8 || recLen % 4 != 0 || nameLen + 8 > recLen) {
                throw new Ext2Exception(Ext2Error.DIR_CORRUPTED);
            }
            if (ino != 0 && nameLen == name.length && matches(b, offset + 8, name)) return ino;
            offset += recLen;
        }
        return 0;
    }

    /** rec_len as stored; 64 KiB blocks store 65536 as 0 or 65535 (ext2fs_get_rec_len). */
    private static int recLen(int stored, int blockLength) {
        if (blockLength < 65536) return stored;
        if (stored == 65535 || stored == 0) return 65536;
        return (stored & 65532) | ((stored & 3) << 16);
    }

    private static boolean matches(ByteBuffer b, int at, byte[] name) {
        for (int i = 0; i < name.length; i++) if (b.get(at + i) != name[i]) return false;
        return true;
    }
}
