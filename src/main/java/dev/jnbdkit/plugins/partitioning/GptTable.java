package dev.jnbdkit.plugins.partitioning;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;

/**
 * The GUID partition table: a protective MBR (one 0xee partition over the disk, as far as MBR
 * can express it) in LBA 0, the header in LBA 1, the partition array from LBA 2, and at the end
 * of the disk the backup array and backup header. The disk GUID is left zero; each partition's
 * unique GUID is random. The first partition gets the "legacy BIOS bootable" attribute, and a
 * partition is named after its file when the name is short enough (under 36 bytes).
 */
final class GptTable {
    /**
     * The header's size as nbdkit writes it: its C struct, 92 bytes of fields padded to 96 (the
     * UEFI minimum is 92; clients accept any size up to a sector). The CRC covers all 96.
     */
    static final int HEADER_SIZE = 96;

    private GptTable() {}

    static void write(DiskLayout d, byte[] primary, byte[] secondary) {
        int sector = DiskLayout.SECTOR;
        long end = Math.min(d.size() - 1, 0xFFFF_FFFFL * sector);
        MbrTable.entry(primary, 0x1be, false, 0xee, sector, end - sector + 1);
        MbrTable.signature(primary);

        array(d, primary, 2 * sector);
        header(d, primary, sector, primary, 2 * sector, true);
        array(d, secondary, 0);
        int ptaSectors = DiskLayout.gptArraySectors(d.files.size());
        header(d, secondary, ptaSectors * sector, secondary, 0, false);
    }

    private static void array(DiskLayout d, byte[] out, int at) {
        for (int i = 0; i < d.files.size(); i++) {
            PartitionFile f = d.files.get(i);
            Region r = d.region(d.fileRegion[i]);
            ByteBuffer e = ByteBuffer.wrap(out, at + i * DiskLayout.GPT_ENTRY_SIZE, DiskLayout.GPT_ENTRY_SIZE)
                    .order(ByteOrder.LITTLE_ENDIAN);
            e.put(f.typeGuid()).put(f.uniqueGuid());
            e.putLong(r.start() / DiskLayout.SECTOR);
            e.putLong((r.end() - 1) / DiskLayout.SECTOR);
            e.putLong(i == 0 ? 4 : 0);
            byte[] name = f.name().getBytes(StandardCharsets.UTF_8);
            // Each byte becomes one UTF-16LE unit: right for ASCII names, as nbdkit writes them.
            if (name.length < 36) for (byte b : name) e.put(b).put((byte) 0);
        }
    }

    private static void header(DiskLayout d, byte[] out, int at, byte[] pta, int ptaAt, boolean primary) {
        long lbas = d.size() / DiskLayout.SECTOR;
        int entries = DiskLayout.gptEntries(d.files.size());
        int ptaSectors = DiskLayout.gptArraySectors(d.files.size());
        CRC32 arrayCrc = new CRC32();
        arrayCrc.update(pta, ptaAt, entries * DiskLayout.GPT_ENTRY_SIZE);
        ByteBuffer h = ByteBuffer.wrap(out, at, HEADER_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        h.put("EFI PART".getBytes(StandardCharsets.US_ASCII));
        h.put(new byte[] {0, 0, 1, 0}); // revision 1.0
        h.putInt(HEADER_SIZE);
        h.putInt(0); // CRC, filled in last
        h.putInt(0); // reserved
        h.putLong(primary ? 1 : lbas - 1);
        h.putLong(primary ? lbas - 1 : 1);
        h.putLong(2 + ptaSectors);
        h.putLong(lbas - ptaSectors - 2);
        h.put(new byte[16]); // disk GUID
        h.putLong(primary ? 2 : lbas - ptaSectors - 1);
        h.putInt(entries);
        h.putInt(DiskLayout.GPT_ENTRY_SIZE);
        h.putInt((int) arrayCrc.getValue());
        CRC32 crc = new CRC32();
        crc.update(out, at, HEADER_SIZE);
        ByteBuffer.wrap(out, at + 16, 4).order(ByteOrder.LITTLE_ENDIAN).putInt((int) crc.getValue());
    }
}
