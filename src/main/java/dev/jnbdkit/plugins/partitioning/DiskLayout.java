package dev.jnbdkit.plugins.partitioning;

import java.util.ArrayList;
import java.util.List;

/**
 * The virtual disk: the partition table, then each file at its alignment (for MBR with more than
 * four files, each logical partition preceded by its EBR sector), each rounded up to whole
 * sectors with zeros, and for GPT the backup table at the end. The regions are contiguous and
 * sorted; the generated tables live in the {@link Region.Data} regions.
 */
final class DiskLayout {
    static final int SECTOR = 512;
    /** The largest and default alignment: 1 MiB (2048 sectors). */
    static final long MAX_ALIGNMENT = 2048L * SECTOR;
    /** A GPT holds at least 128 entries of 128 bytes; more files take more in steps of 128. */
    static final int GPT_MIN_ENTRIES = 128;
    static final int GPT_ENTRY_SIZE = 128;

    enum Type { MBR, GPT }

    final Type type;
    final List<PartitionFile> files;
    final List<Region> regions = new ArrayList<>();
    /** Index in {@link #regions} of each file's region, and of each logical partition's EBR (MBR). */
    final int[] fileRegion;
    final int[] ebrRegion;

    private DiskLayout(Type type, List<PartitionFile> files) {
        this.type = type;
        this.files = files;
        fileRegion = new int[files.size()];
        ebrRegion = new int[files.size()];
    }

    /** Entries in the GPT partition array: the file count rounded up to a multiple of 128. */
    static int gptEntries(int files) {
        return (files + GPT_MIN_ENTRIES - 1) / GPT_MIN_ENTRIES * GPT_MIN_ENTRIES;
    }

    /** Sectors the GPT partition array takes. */
    static int gptArraySectors(int files) { return gptEntries(files) * GPT_ENTRY_SIZE / SECTOR; }

    static DiskLayout build(Type type, List<PartitionFile> files) {
        DiskLayout d = new DiskLayout(type, files);
        int n = files.size();
        boolean logical = type == Type.MBR && n > 4;
        int ptaSectors = gptArraySectors(n);
        byte[] primary = new byte[type == Type.MBR ? SECTOR : (2 + ptaSectors) * SECTOR];
        d.add(new Region.Data(0, primary.length, primary, 0));
        for (int i = 0; i < n; i++) {
            PartitionFile f = files.get(i);
            if (logical && i >= 3) {
                d.ebrRegion[i] = d.regions.size();
                d.add(new Region.Data(d.size(), SECTOR, new byte[SECTOR], 0));
            }
            d.pad(f.alignment());
            d.fileRegion[i] = d.regions.size();
            d.add(new Region.File(d.size(), f.size(), i));
            d.pad(SECTOR);
        }
        byte[] secondary = null;
        if (type == Type.GPT) {
            secondary = new byte[(ptaSectors + 1) * SECTOR];
            d.add(new Region.Data(d.size(), secondary.length, secondary, 0));
        }
        if (type == Type.MBR) MbrTable.write(d, primary);
        else GptTable.write(d, primary, secondary);
        return d;
    }

    /** The size of the disk so far (at the end: the disk's size). */
    long size() { return regions.isEmpty() ? 0 : regions.getLast().end(); }

    Region region(int index) { return regions.get(index); }

    /** The EBR data of logical partition {@code file} (MBR, file index >= 3). */
    byte[] ebr(int file) { return ((Region.Data) regions.get(ebrRegion[file])).data(); }

    private void add(Region r) { regions.add(r); }

    private void pad(long alignment) {
        long at = size();
        long rem = at & (alignment - 1);
        if (rem != 0) add(new Region.Zero(at, alignment - rem));
    }

    /** The index of the region holding disk offset {@code offset} (which is below the size). */
    int find(long offset) {
        int lo = 0, hi = regions.size() - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (regions.get(mid).start() <= offset) lo = mid;
            else hi = mid - 1;
        }
        return lo;
    }
}
