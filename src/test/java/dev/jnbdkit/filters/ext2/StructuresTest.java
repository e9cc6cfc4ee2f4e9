package dev.jnbdkit.filters.ext2;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.Map;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;

/** The on-disk structure parsers over crafted bytes: extent trees, block maps, directory blocks, CRC-32C. */
class StructuresTest {
    static final int BS = 1024;

    /** Blocks of a crafted image, by number. */
    final Map<Long, ByteBuffer> blocks = new HashMap<>();

    ByteBuffer block(long n) {
        ByteBuffer b = blocks.get(n);
        if (b == null) throw new AssertionError("read of block " + n);
        return b.duplicate();
    }

    static ByteBuffer le(int size) { return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN); }

    static void header(ByteBuffer b, int entries, int max, int depth) {
        b.putShort(0, (short) ExtentTree.MAGIC).putShort(2, (short) entries).putShort(4, (short) max).putShort(6, (short) depth);
    }

    static void leaf(ByteBuffer b, int i, long first, int len, long start) {
        int at = 12 + 12 * i;
        b.putInt(at, (int) first).putShort(at + 4, (short) len).putShort(at + 6, (short) (start >>> 32)).putInt(at + 8, (int) start);
    }

    static void index(ByteBuffer b, int i, long first, long child) {
        int at = 12 + 12 * i;
        b.putInt(at, (int) first).putInt(at + 4, (int) child).putShort(at + 8, (short) (child >>> 32));
    }

    @Test
    void extentLeavesHolesAndUnwritten() {
        ByteBuffer root = le(60);
        header(root, 3, 4, 0);
        leaf(root, 0, 0, 2, 100);
        leaf(root, 1, 5, 32768 + 3, 200); // unwritten
        leaf(root, 2, 10, 32768, 1000); // 32768 is the longest initialised length
        ExtentTree t = new ExtentTree(root.array(), this::block, BS, 1 << 20);
        assertEquals(new BlockMap.Run(1, 1, 101, false), t.find(1));
        assertEquals(new BlockMap.Run(2, 3, 0, false), t.find(2));
        assertEquals(new BlockMap.Run(6, 2, 201, true), t.find(6));
        assertEquals(new BlockMap.Run(8, 2, 0, false), t.find(8));
        assertEquals(new BlockMap.Run(11, 32767, 1001, false), t.find(11));
        assertEquals(new BlockMap.Run(32778, BlockMap.LOGICAL_LIMIT - 32778, 0, false), t.find(32778));
    }

    @Test
    void extentIndexLevels() {
        ByteBuffer root = le(60);
        header(root, 2, 4, 1);
        index(root, 0, 0, 7);
        index(root, 1, 100, 8L << 32 | 9); // a 48-bit block number
        ByteBuffer a = le(BS), b = le(BS);
        int max = (BS - 12) / 12;
        header(a, 1, max, 0);
        leaf(a, 0, 10, 5, 500);
        header(b, 1, max, 0);
        leaf(b, 0, 100, 1, 3L << 32 | 7);
        blocks.put(7L, a);
        blocks.put(8L << 32 | 9, b);
        ExtentTree t = new ExtentTree(root.array(), this::block, BS, 1L << 40);
        assertEquals(new BlockMap.Run(0, 10, 0, false), t.find(0));
        assertEquals(new BlockMap.Run(12, 3, 502, false), t.find(12));
        assertEquals(new BlockMap.Run(15, 85, 0, false), t.find(15), "a hole up to the next index's first block");
        assertEquals(new BlockMap.Run(100, 1, 3L << 32 | 7, false), t.find(100));
        // a child at the wrong depth, a bad magic, a pointer outside the filesystem
        header(a, 1, max, 1);
        assertEquals(Ext2Error.EXTENT_HEADER_BAD, assertThrows(Ext2Exception.class, () -> t.find(12)).error());
        a.putShort(0, (short) 0x1234);
        assertEquals(Ext2Error.EXTENT_HEADER_BAD, assertThrows(Ext2Exception.class, () -> t.find(12)).error());
        ExtentTree small = new ExtentTree(root.array(), this::block, BS, 1000);
        assertEquals(Ext2Error.EXTENT_INDEX_BAD, assertThrows(Ext2Exception.class, () -> small.find(100)).error());
    }

    @Test
    void extentHeaderChecks() {
        ByteBuffer root = le(60);
        header(root, 5, 4, 0); // more entries than room
        ExtentTree t = new ExtentTree(root.array(), this::block, BS, 1000);
        assertEquals(Ext2Error.EXTENT_HEADER_BAD, assertThrows(Ext2Exception.class, () -> t.find(0)).error());
        header(root, 0, 4, 6); // deeper than ext4 allows
        ExtentTree deep = new ExtentTree(root.array(), this::block, BS, 1000);
        assertEquals(Ext2Error.EXTENT_HEADER_BAD, assertThrows(Ext2Exception.class, () -> deep.find(0)).error());
    }

    @Test
    void indirectLevels() {
        int per = BS / 4;
        ByteBuffer ib = le(60);
        ib.putInt(0, 50).putInt(4, 51).putInt(8, 52).putInt(16, 60); // direct: 0-2 contiguous, 3 hole, 4 at 60
        ib.putInt(12 * 4, 70); // indirect
        ib.putInt(13 * 4, 0); // no double-indirect tree at all
        ib.putInt(14 * 4, 80); // triple
        ByteBuffer ind = le(BS);
        ind.putInt(0, 300).putInt(4, 301).putInt(8 * 4, 400);
        blocks.put(70L, ind);
        ByteBuffer t1 = le(BS), t2 = le(BS), t3 = le(BS);
        t1.putInt(0, 81);
        t2.putInt(4, 82);
        t3.putInt(8, 900);
        blocks.put(80L, t1);
        blocks.put(81L, t2);
        blocks.put(82L, t3);
        IndirectMap m = new IndirectMap(ib.array(), this::block, BS, 1, 1 << 20);
        assertEquals(new BlockMap.Run(0, 3, 50, false), m.find(0));
        assertEquals(new BlockMap.Run(3, 1, 0, false), m.find(3));
        assertEquals(new BlockMap.Run(4, 1, 60, false), m.find(4));
        assertEquals(new BlockMap.Run(5, 7, 0, false), m.find(5));
        assertEquals(new BlockMap.Run(12, 2, 300, false), m.find(12));
        assertEquals(new BlockMap.Run(14, 6, 0, false), m.find(14));
        assertEquals(new BlockMap.Run(20, 1, 400, false), m.find(20));
        long dbl = 12 + per;
        assertEquals(new BlockMap.Run(dbl + 5, (long) per * per - 5, 0, false), m.find(dbl + 5), "a missing double-indirect tree");
        long tpl = dbl + (long) per * per;
        assertEquals(new BlockMap.Run(tpl + per + 2, 1, 900, false), m.find(tpl + per + 2));
        assertEquals(new BlockMap.Run(tpl + per, 2, 0, false), m.find(tpl + per));
        ind.putInt(0, 5 << 20); // outside the filesystem
        assertEquals(Ext2Error.BAD_BLOCK_NUM, assertThrows(Ext2Exception.class, () -> m.find(12)).error());
        ByteBuffer bad = le(60);
        bad.putInt(12 * 4, 2 << 20);
        IndirectMap b = new IndirectMap(bad.array(), this::block, BS, 1, 1 << 20);
        assertEquals(Ext2Error.BAD_IND_BLOCK, assertThrows(Ext2Exception.class, () -> b.find(12)).error());
    }

    static void dirent(ByteBuffer b, int at, long ino, int recLen, String name) {
        b.putInt(at, (int) ino).putShort(at + 4, (short) recLen).put(at + 6, (byte) name.length()).put(at + 7, (byte) 1);
        b.put(at + 8, name.getBytes());
    }

    @Test
    void directoryBlocks() {
        ByteBuffer b = le(BS);
        dirent(b, 0, 2, 12, ".");
        dirent(b, 12, 0, 20, "gone"); // deleted: inode 0
        dirent(b, 32, 33, 16, "here");
        dirent(b, 48, 44, BS - 48, "last");
        assertEquals(33, Directory.scan(b, 0, BS, true, "here".getBytes()));
        assertEquals(44, Directory.scan(b, 0, BS, true, "last".getBytes()));
        assertEquals(0, Directory.scan(b, 0, BS, true, "gone".getBytes()));
        assertEquals(0, Directory.scan(b, 0, BS, true, "her".getBytes()));
        b.putShort(32 + 4, (short) 10); // not a multiple of 4
        assertEquals(Ext2Error.DIR_CORRUPTED,
                assertThrows(Ext2Exception.class, () -> Directory.scan(b, 0, BS, true, "last".getBytes())).error());
        b.putShort(32 + 4, (short) 8); // shorter than its name
        assertEquals(Ext2Error.DIR_CORRUPTED,
                assertThrows(Ext2Exception.class, () -> Directory.scan(b, 0, BS, true, "last".getBytes())).error());
    }

    @Test
    void crc32cChainsAsExt4Does() {
        byte[] data = Images.random(5, 1000);
        CRC32C z = new CRC32C();
        z.update(data);
        // java's CRC-32C starts at ~0 and inverts at the end; ext4's crc32c_le does neither at the end
        assertEquals((int) z.getValue(), ~Crc32c.update(-1, data));
        int split = Crc32c.update(Crc32c.update(-1, data, 0, 300), data, 300, 700);
        assertEquals(Crc32c.update(-1, data), split);
        assertEquals(Crc32c.update(7, new byte[] {1, 0, 0, 0}), Crc32c.updateLe32(7, 1));
    }
}
