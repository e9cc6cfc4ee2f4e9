package dev.jnbdkit.plugins.nullplugin;

import dev.jnbdkit.plugins.SizeOnlyPlugin;
import dev.jnbdkit.spi.Extent;
import dev.jnbdkit.spi.ExtentSink;
import dev.jnbdkit.plugins.RamHandle;
import dev.jnbdkit.spi.Handle;
import dev.jnbdkit.spi.IoBuffer;
import dev.jnbdkit.spi.OpenContext;
import dev.jnbdkit.spi.ThreadModel;

/**
 * {@code null}: a bit bucket, as nbdkit-null-plugin(1). {@code [size=]SIZE} (optional, default
 * 0). Reads return zeros, writes are discarded, the whole disk is one hole that reads as zeros.
 */
public final class NullPlugin extends SizeOnlyPlugin {
    public NullPlugin() { super(null); }

    @Override public String name() { return "null"; }

    @Override public String longname() { return "nbdkit null plugin"; }

    @Override public String description() {
        return "A bit bucket: writes are discarded and reads return zeros.";
    }

    @Override public String configHelp() { return "size=<SIZE>             Size of the backing disk"; }

    @Override public ThreadModel threadModel() { return ThreadModel.PARALLEL; }

    @Override public Class<? extends Handle> handleType() { return NullHandle.class; }

    @Override public Handle open(OpenContext context) { return new NullHandle(size); }

    private record NullHandle(long size) implements RamHandle {
        @Override public long getSize() { return size; }

        @Override public void pread(IoBuffer buf, long offset, int flags) {
            buf.segment().fill((byte) 0);
        }

        @Override public void pwrite(IoBuffer buf, long offset, int flags) {}

        @Override public void trim(long count, long offset, int flags) {}

        @Override public void zero(long count, long offset, int flags) {}

        @Override public void extents(long count, long offset, int flags, ExtentSink extents) {
            if (offset < size) extents.add(offset, size - offset, Extent.HOLE | Extent.ZERO);
        }
    }
}
