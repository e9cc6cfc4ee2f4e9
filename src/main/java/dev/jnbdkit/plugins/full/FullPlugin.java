package dev.jnbdkit.plugins.full;

import dev.jnbdkit.plugins.SizeOnlyPlugin;
import dev.jnbdkit.spi.CacheMode;
import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.Extent;
import dev.jnbdkit.spi.ExtentSink;
import dev.jnbdkit.spi.Handle;
import dev.jnbdkit.spi.IoBuffer;
import dev.jnbdkit.spi.OpenContext;
import dev.jnbdkit.spi.PluginException;

/**
 * {@code full}: a disk that reads as zeros and is out of space, as nbdkit-full-plugin(1):
 * writes and trims fail with ENOSPC (zeroing too: the server emulates it with writes). The
 * whole disk is one hole. {@code [size=]SIZE} is required.
 */
public final class FullPlugin extends SizeOnlyPlugin {
    public FullPlugin() { super("size parameter is required"); }

    @Override public String name() { return "full"; }

    @Override public String longname() { return "nbdkit full plugin"; }

    @Override public String description() {
        return "A disk that reads as zeros and fails every write with ENOSPC (No space left on device).";
    }

    @Override public Class<? extends Handle> handleType() { return FullHandle.class; }

    @Override public Handle open(OpenContext context) { return new FullHandle(size); }

    private record FullHandle(long size) implements Handle {
        @Override public long getSize() { return size; }

        @Override public boolean canWrite() { return true; }

        @Override public boolean canTrim() { return true; }

        @Override public boolean canExtents() { return true; }

        @Override public boolean canMultiConn() { return true; }

        @Override public CacheMode canCache() { return CacheMode.NATIVE; }

        @Override public void pread(IoBuffer buf, long offset, int flags) { buf.segment().fill((byte) 0); }

        @Override public void pwrite(IoBuffer buf, long offset, int flags) {
            throw new PluginException(Errno.ENOSPC, ""); // nbdkit logs nothing here
        }

        @Override public void trim(long count, long offset, int flags) {
            throw new PluginException(Errno.ENOSPC, "");
        }

        @Override public void extents(long count, long offset, int flags, ExtentSink extents) {
            extents.add(offset, count, Extent.HOLE | Extent.ZERO);
        }
    }
}
