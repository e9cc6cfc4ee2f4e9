package dev.jnbdkit.plugins.partitioning;

/**
 * The DOS partition table: up to four primary partitions; with more files the first three are
 * primary, the fourth entry is an extended partition (type 0x0f) from the first EBR to the end
 * of the disk, and each further file is a logical partition described by the EBR before it
 * (entry 1: the partition, relative to that EBR; entry 2: the next EBR, relative to the
 * extended partition). The first partition is marked bootable; CHS fields hold the "too large"
 * value (1023/254/63) so that clients use the LBA fields.
 */
final class MbrTable {
    static final int EXTENDED_ID = 0x0f;

    private MbrTable() {}

    static void write(DiskLayout d, byte[] mbr) {
        signature(mbr);
        int n = d.files.size();
        if (n <= 4) {
            for (int i = 0; i < n; i++) {
                Region r = d.region(d.fileRegion[i]);
                entry(mbr, 0x1be + 16 * i, i == 0, d.files.get(i).mbrId(), r.start(), r.length());
            }
            return;
        }
        for (int i = 0; i < 3; i++) {
            Region r = d.region(d.fileRegion[i]);
            entry(mbr, 0x1be + 16 * i, i == 0, d.files.get(i).mbrId(), r.start(), r.length());
        }
        long extStart = d.region(d.ebrRegion[3]).start();
        entry(mbr, 0x1ee, false, EXTENDED_ID, extStart, d.size() - extStart);
        for (int i = 3; i < n; i++) {
            byte[] ebr = d.ebr(i);
            long ebrStart = d.region(d.ebrRegion[i]).start();
            Region part = d.region(d.fileRegion[i]);
            signature(ebr);
            entry(ebr, 0x1be, false, d.files.get(i).mbrId(), part.start() - ebrStart, part.length());
            if (i < n - 1) {
                long nextEbr = d.region(d.ebrRegion[i + 1]).start();
                Region nextPart = d.region(d.fileRegion[i + 1]);
                entry(ebr, 0x1ce, false, EXTENDED_ID, nextEbr - extStart, nextPart.end() - nextEbr);
            }
        }
    }

    static void signature(byte[] sector) {
        sector[0x1fe] = 0x55;
        sector[0x1ff] = (byte) 0xaa;
    }

    /** One 16-byte entry: boot flag, CHS start, type, CHS end, LBA start, sector count. */
    static void entry(byte[] out, int at, boolean bootable, int id, long startByte, long lengthBytes) {
        out[at] = (byte) (bootable ? 0x80 : 0);
        chsTooLarge(out, at + 1);
        out[at + 4] = (byte) id;
        chsTooLarge(out, at + 5);
        le32(out, at + 8, startByte / DiskLayout.SECTOR);
        le32(out, at + 12, (lengthBytes + DiskLayout.SECTOR - 1) / DiskLayout.SECTOR);
    }

    private static void chsTooLarge(byte[] out, int at) {
        int c = 1023, h = 254, s = 63;
        out[at] = (byte) h;
        out[at + 1] = (byte) ((c & 0x300) >> 2 | s);
        out[at + 2] = (byte) (c & 0xff);
    }

    static void le32(byte[] out, int at, long v) {
        for (int i = 0; i < 4; i++) out[at + i] = (byte) (v >>> (8 * i));
    }
}
