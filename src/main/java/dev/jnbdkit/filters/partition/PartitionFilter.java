package dev.jnbdkit.filters.partition;

import dev.jnbdkit.filters.common.ShiftedHandle;
import dev.jnbdkit.filters.FilterArgs;
import dev.jnbdkit.spi.Filter;
import dev.jnbdkit.spi.FilterContext;
import dev.jnbdkit.spi.FilterHandle;
import dev.jnbdkit.spi.Nbdkit;
import dev.jnbdkit.spi.Next;
import dev.jnbdkit.spi.NextBackend;
import dev.jnbdkit.spi.Numbers;
import dev.jnbdkit.spi.OpenContext;
import dev.jnbdkit.spi.Sizes;

/**
 * nbdkit-partition-filter: serves one partition of an MBR or GPT disk (like {@code qemu-nbd -P}).
 * The table is read when each connection is prepared; requests are then moved into the partition.
 */
public final class PartitionFilter implements Filter {
    private int partnum = -1;
    private int sectorSize = 512;

    @Override public String name() { return "partition"; }

    @Override public String longname() { return "nbdkit partition filter"; }

    @Override
    public String configHelp() {
        return "partition=<PART>    (required) The partition number (counting from 1).\n"
                + "partition-sectorsize=512|4k\n"
                + "                    Sector size of the partition table (default 512).";
    }

    @Override
    public void config(NextBackend next, String key, String value) {
        switch (key) {
            case "partition" -> {
                long n = Numbers.parseUnsigned("partition", value);
                if (n < 1 || n > Integer.MAX_VALUE) throw FilterArgs.bad("invalid partition number");
                partnum = (int) n;
            }
            case "partition-sectorsize" -> {
                long s = Sizes.parse(value);
                if (s != 512 && s != 4096) throw FilterArgs.bad("partition-sectorsize must be 512 or 4096");
                sectorSize = (int) s;
            }
            default -> next.config(key, value);
        }
    }

    @Override
    public void configComplete(NextBackend next) {
        if (partnum == -1) throw FilterArgs.bad("you must supply the partition parameter on the command line");
        next.configComplete();
    }

    @Override
    public FilterHandle open(FilterContext context, OpenContext request) {
        context.open(request.readonly(), request.exportName());
        return new InPartition();
    }

    /** One connection: the partition found at prepare; requests moved into it. */
    private final class InPartition extends ShiftedHandle {
        private long offset;
        private long length;

        @Override
        public void prepare(Next next, boolean readonly) {
            PartitionTable.Location loc = PartitionTable.find(next, partnum, sectorSize);
            offset = loc.offset();
            length = loc.length();
            Nbdkit.debug("partition offset=" + offset + " range=" + length);
        }

        @Override public long getSize(Next next) { return length; }

        @Override protected long offset() { return offset; }
    }
}
