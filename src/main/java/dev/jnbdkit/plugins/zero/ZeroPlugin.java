package dev.jnbdkit.plugins.zero;

import dev.jnbdkit.plugins.PluginVersion;
import dev.jnbdkit.spi.CacheMode;
import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.Handle;
import dev.jnbdkit.spi.IoBuffer;
import dev.jnbdkit.spi.OpenContext;
import dev.jnbdkit.spi.Plugin;
import dev.jnbdkit.spi.PluginException;

/**
 * {@code zero}: a read-only disk of zero bytes, as nbdkit-zero-plugin(1) (deprecated by nbdkit
 * in favour of {@code null}, still shipped by 1.32 and 1.34). It takes no parameters.
 */
public final class ZeroPlugin implements Plugin {
    public ZeroPlugin() {}

    @Override public String name() { return "zero"; }

    @Override public String version() { return PluginVersion.VERSION; }

    @Override public String longname() { return "nbdkit zero plugin"; }

    @Override public String description() { return "A disk of length zero (use null for a sized disk of zeros)."; }

    @Override
    public void config(String key, String value) {
        throw new PluginException(Errno.EINVAL, "zero: this plugin does not need command line configuration");
    }

    @Override public Class<? extends Handle> handleType() { return ZeroHandle.class; }

    @Override public Handle open(OpenContext context) { return new ZeroHandle(); }

    private record ZeroHandle() implements Handle {
        @Override public long getSize() { return 0; }

        @Override public boolean canMultiConn() { return true; }

        @Override public CacheMode canCache() { return CacheMode.NATIVE; }

        @Override public void pread(IoBuffer buf, long offset, int flags) { buf.segment().fill((byte) 0); }
    }
}
