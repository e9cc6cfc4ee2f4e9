package dev.jnbdkit.plugins.nullplugin;

import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.Extent;
import dev.jnbdkit.spi.ExtentSink;
import dev.jnbdkit.plugins.RamHandle;
import dev.jnbdkit.spi.Handle;
import dev.jnbdkit.spi.IoBuffer;
import dev.jnbdkit.spi.OpenContext;
import dev.jnbdkit.spi.Plugin;
import dev.jnbdkit.spi.PluginException;
import dev.jnbdkit.spi.Sizes;
import dev.jnbdkit.spi.ThreadModel;

/**
 * {@code null}: a bit bucket, as nbdkit-null-plugin(1). {@code [size=]SIZE} (optional, default
 * 0). Reads return zeros, writes are discarded, the whole disk is one hole that reads as zeros.
 */
public final class NullPlugin implements Plugin {
    private long size;

    public NullPlugin() {}

    @Override public String name() { return "null"; }

    @Override public String version() { return dev.jnbdkit.plugins.PluginVersion.VERSION; }

    @Override public String longname() { return "nbdkit null plugin"; }

    @Override public String description() {
        return "A bit bucket: writes are discarded and reads return zeros.";
    }

    @Override public String configHelp() { return "size=<SIZE>             Size of the backing disk"; }

    @Override public String magicConfigKey() { return "size"; }

    @Override
    public void config(String key, String value) {
        if (key.equals("size")) size = Sizes.parse(value);
        else throw new PluginException(Errno.EINVAL, "unknown parameter '" + key + "'");
    }

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
