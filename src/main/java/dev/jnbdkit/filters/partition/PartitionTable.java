package dev.jnbdkit.filters.partition;

import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.IoBuffer;
import dev.jnbdkit.spi.Next;
import dev.jnbdkit.spi.PluginException;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Finds partition N of an MBR (primary 1-4, logical 5+ through the extended partition's EBR
 * chain) or GPT disk, as nbdkit's partition filter reads them, with its messages.
 */
final class PartitionTable {
    /** Where a partition lies, in bytes. */
    record Location(long offset, long length) {}

    private static final ValueLayout.OfInt LE32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LE64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Next next;
    private final long size;
    private final int sector;

    private PartitionTable(Next next, long size, int sector) {
        this.next = next;
        this.size = size;
        this.sector = sector;
    }

    /** Partition {@code partnum} of the disk {@code next}, or a PluginException with nbdkit's message. */
    static Location find(Next next, int partnum, int sectorSize) {
        long size = next.getSize();
        if (size < 2L * sectorSize) throw fail("disk is too small to be a partitioned disk");
        PartitionTable t = new PartitionTable(next, size, sectorSize);
        MemorySegment lba01 = t.read(0, 2 * sectorSize);
        Location loc;
        if (size >= 2L * 34 * sectorSize && isGptSignature(lba01.asSlice(sectorSize))) {
            loc = t.gpt(lba01.asSlice(sectorSize), partnum);
        } else if (hasBootSignature(lba01)) {
            loc = t.mbr(lba01, partnum);
        } else {
            throw fail("disk does not contain MBR or GPT partition table signature");
        }
        if (loc.offset() < 0 || loc.length() < 0 || loc.offset() > size - loc.length()) {
            throw fail("partition is outside the disk");
        }
        return loc;
    }

    private MemorySegment read(long offset, int length) {
        IoBuffer b = IoBuffer.allocate(length);
        next.pread(b, offset, 0);
        return b.segment();
    }

    private static boolean isGptSignature(MemorySegment s) {
        byte[] sig = "EFI PART".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        for (int i = 0; i < sig.length; i++) if (s.get(ValueLayout.JAVA_BYTE, i) != sig[i]) return false;
        return true;
    }

    private static boolean hasBootSignature(MemorySegment s) {
        return s.get(ValueLayout.JAVA_BYTE, 0x1fe) == (byte) 0x55 && s.get(ValueLayout.JAVA_BYTE, 0x1ff) == (byte) 0xaa;
    }

    // ---- MBR ---------------------------------------------------------------------------------

    private record MbrEntry(int type, long start, long sectors) {}

    private static MbrEntry entry(MemorySegment s, int i) {
        long at = 0x1be + 16L * i;
        return new MbrEntry(s.get(ValueLayout.JAVA_BYTE, at + 4) & 0xff,
                Integer.toUnsignedLong(s.get(LE32, at + 8)), Integer.toUnsignedLong(s.get(LE32, at + 12)));
    }

    private static boolean isExtended(int type) { return type == 0x05 || type == 0x0f || type == 0x85; }

    private Location mbr(MemorySegment mbr, int partnum) {
        if (partnum <= 4) {
            MbrEntry e = entry(mbr, partnum - 1);
            if (e.sectors() != 0 && e.type() != 0 && !isExtended(e.type())) {
                return new Location(e.start() * sector, e.sectors() * sector);
            }
            throw fail("MBR partition " + partnum + " not found");
        }
        MbrEntry ext = null;
        for (int i = 0; i < 4 && ext == null; i++) {
            MbrEntry e = entry(mbr, i);
            if (e.sectors() > 0 && isExtended(e.type())) ext = e;
        }
        if (ext == null) throw fail("MBR partition " + partnum + " not found");
        // Each EBR holds one logical partition (relative to the EBR) and a link to the next EBR
        // (relative to the extended partition's start).
        long ebr = ext.start() * sector;
        for (int i = 5; ; i++) {
            if (ebr >= size - sector) throw fail("invalid EBR chain");
            MemorySegment s = read(ebr, sector);
            if (!hasBootSignature(s)) throw fail("invalid EBR signature");
            MbrEntry logical = entry(s, 0);
            if (i == partnum) {
                if (logical.sectors() == 0 || logical.type() == 0) throw fail("MBR partition " + partnum + " not found");
                return new Location(ebr + logical.start() * sector, logical.sectors() * sector);
            }
            MbrEntry link = entry(s, 1);
            if (link.start() == 0) throw fail("MBR partition " + partnum + " not found");
            ebr = ext.start() * sector + link.start() * sector;
        }
    }

    // ---- GPT ---------------------------------------------------------------------------------

    private Location gpt(MemorySegment header, int partnum) {
        long entries = Integer.toUnsignedLong(header.get(LE32, 80));
        long entrySize = Integer.toUnsignedLong(header.get(LE32, 84));
        if (partnum > entries) throw fail("GPT partition number out of range");
        if (entrySize < 128) throw fail("GPT partition entry size is < 128 bytes");
        // Room for the entry array twice plus the headers, else the header is likely bogus.
        if (size < 3L * sector + 2 * entries * entrySize) throw fail("GPT partition table is too large for this disk");
        // As nbdkit, the entry array is read where it normally is: right after the header (LBA 2).
        MemorySegment e = read(2L * sector + (partnum - 1) * entrySize, 128);
        boolean used = e.get(LE64, 0) != 0 || e.get(LE64, 8) != 0;
        if (used) {
            long first = e.get(LE64, 32), last = e.get(LE64, 40);
            return new Location(first * sector, (1 + last - first) * sector);
        }
        throw fail("GPT partition " + partnum + " not found");
    }

    private static PluginException fail(String message) { return new PluginException(Errno.EIO, message); }
}
