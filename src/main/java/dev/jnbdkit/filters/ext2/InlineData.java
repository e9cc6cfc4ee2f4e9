package dev.jnbdkit.filters.ext2;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * The data of an inode with the inline_data flag: the 60 bytes of i_block, continued by the
 * value of the {@code system.data} extended attribute in the inode's own attribute area (after
 * the first 128 + i_extra_isize bytes: the magic 0xEA020000, then entries of
 * {@code name_len, name_index, value_offs, value_inum, value_size, hash, name}).
 *
 * @param bytes        i_block followed by the attribute's value
 * @param valueOffset  where the attribute's value starts inside the on-disk inode (-1: none)
 */
record InlineData(byte[] bytes, int valueOffset) {
    static final int EA_MAGIC = 0xEA020000;
    /** The "system." attribute name prefix. */
    static final int INDEX_SYSTEM = 7;

    static InlineData of(Inode inode) {
        byte[] raw = inode.raw();
        byte[] head = inode.iBlock();
        int start = Inode.GOOD_OLD_SIZE + inode.extraIsize();
        ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
        if (raw.length > Inode.GOOD_OLD_SIZE && start + 4 <= raw.length && b.getInt(start) == EA_MAGIC) {
            int entry = start + 4;
            while (entry + 16 <= raw.length && b.getInt(entry) != 0) {
                int nameLen = raw[entry] & 0xff;
                int index = raw[entry + 1] & 0xff;
                int valueOffs = Short.toUnsignedInt(b.getShort(entry + 2));
                long valueSize = Integer.toUnsignedLong(b.getInt(entry + 8));
                if (entry + 16 + nameLen > raw.length) break;
                String name = new String(raw, entry + 16, nameLen, StandardCharsets.ISO_8859_1);
                if (index == INDEX_SYSTEM && name.equals("data") && b.getInt(entry + 4) == 0) {
                    long at = (long) start + 4 + valueOffs;
                    if (at + valueSize > raw.length) throw new Ext2Exception(Ext2Error.NO_INLINE_DATA, "system.data outside the inode");
                    byte[] all = new byte[head.length + (int) valueSize];
                    System.arraycopy(head, 0, all, 0, head.length);
                    System.arraycopy(raw, (int) at, all, head.length, (int) valueSize);
                    return new InlineData(all, (int) at);
                }
                entry += (16 + nameLen + 3) & ~3;
            }
        }
        return new InlineData(head, -1);
    }

    /** Offset inside the on-disk inode of inline byte {@code k}. */
    int inodeOffset(int k) {
        return k < Inode.I_BLOCK_SIZE ? Inode.I_BLOCK + k : valueOffset + (k - Inode.I_BLOCK_SIZE);
    }
}
