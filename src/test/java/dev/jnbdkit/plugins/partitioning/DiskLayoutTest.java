package dev.jnbdkit.plugins.partitioning;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.zip.CRC32;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DiskLayoutTest {
    private static PartitionFile file(long size, long alignment, int id) {
        return new PartitionFile("f", -1, size, alignment, id, Guid.parse(Guid.DEFAULT_TYPE), new byte[16]);
    }

    private static ByteBuffer le(byte[] b) { return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN); }

    @Test
    void guidIsMixedEndian() {
        assertArrayEquals(HexFormat.of().parseHex("af3dc60f838472478e793d69d8477de4"), Guid.parse(Guid.DEFAULT_TYPE));
        assertArrayEquals(Guid.parse(Guid.DEFAULT_TYPE), Guid.parse("{0fc63daf-8483-4772-8e79-3d69d8477de4}"));
        assertNull(Guid.parse("0FC63DAF-8483-4772-8E79-3D69D8477DE"));
        assertNull(Guid.parse("0FC63DAF+8483-4772-8E79-3D69D8477DE4"));
    }

    @Test
    void mbrPrimaryPartitionsAreAlignedAndRounded() {
        DiskLayout d = DiskLayout.build(DiskLayout.Type.MBR, List.of(file(1000, 1 << 20, 0x83), file(512, 4096, 0x82)));
        byte[] mbr = ((Region.Data) d.region(0)).data();
        ByteBuffer b = le(mbr);
        assertEquals(0x55, mbr[0x1fe] & 0xff);
        assertEquals(0x80, mbr[0x1be] & 0xff); // the first is bootable
        assertEquals(0x83, mbr[0x1be + 4] & 0xff);
        assertEquals(2048, b.getInt(0x1be + 8));
        assertEquals(2, b.getInt(0x1be + 12)); // 1000 bytes: two sectors
        assertEquals(0x82, mbr[0x1ce + 4] & 0xff);
        assertEquals(2048 + 2 + 6, b.getInt(0x1ce + 8)); // next 4k boundary
        assertEquals((2056 + 1) * 512L, d.size());
        // reads find their regions
        assertTrue(d.region(d.find(600)) instanceof Region.Zero);
        assertTrue(d.region(d.find(1 << 20)) instanceof Region.File);
    }

    @Test
    void mbrLogicalPartitionsChainTheirEbrs() {
        List<PartitionFile> files = new ArrayList<>();
        for (int i = 0; i < 6; i++) files.add(file(512, 512, 0x83));
        DiskLayout d = DiskLayout.build(DiskLayout.Type.MBR, files);
        ByteBuffer mbr = le(((Region.Data) d.region(0)).data());
        assertEquals(MbrTable.EXTENDED_ID, mbr.get(0x1ee + 4));
        long ext = mbr.getInt(0x1ee + 8);
        assertEquals(4, ext); // MBR, three 1-sector partitions, then the first EBR
        ByteBuffer ebr = le(d.ebr(3));
        assertEquals(1, ebr.getInt(0x1be + 8)); // partition right after its EBR
        assertEquals(2, ebr.getInt(0x1ce + 8)); // next EBR, relative to the extended partition
        assertEquals(2, ebr.getInt(0x1ce + 12)); // next EBR + its partition
        assertEquals(0, le(d.ebr(5)).getInt(0x1ce + 8)); // the last EBR links nowhere
    }

    @Test
    void gptHeadersAreConsistent() {
        DiskLayout d = DiskLayout.build(DiskLayout.Type.GPT, List.of(file(4096, 1 << 20, 0x83)));
        byte[] primary = ((Region.Data) d.region(0)).data();
        ByteBuffer h = le(primary);
        long lbas = d.size() / 512;
        assertEquals(0xee, primary[0x1be + 4] & 0xff);
        assertEquals(96, h.getInt(512 + 12)); // nbdkit's header size
        assertEquals(1, h.getLong(512 + 24));
        assertEquals(lbas - 1, h.getLong(512 + 32));
        assertEquals(34, h.getLong(512 + 40));
        assertEquals(lbas - 34, h.getLong(512 + 48));
        assertEquals(128, h.getInt(512 + 80));
        CRC32 array = new CRC32();
        array.update(primary, 1024, 128 * 128);
        assertEquals((int) array.getValue(), h.getInt(512 + 88));
        byte[] header = java.util.Arrays.copyOfRange(primary, 512, 512 + 96);
        java.util.Arrays.fill(header, 16, 20, (byte) 0);
        CRC32 crc = new CRC32();
        crc.update(header);
        assertEquals((int) crc.getValue(), h.getInt(512 + 16));
        assertEquals(2048, h.getLong(1024 + 32)); // first LBA of the partition
        assertEquals(2048 + 7, h.getLong(1024 + 40)); // last LBA
        assertEquals('f', primary[1024 + 56]);
    }
}
