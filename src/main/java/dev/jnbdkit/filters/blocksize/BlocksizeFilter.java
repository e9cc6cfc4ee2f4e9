package dev.jnbdkit.filters.blocksize;

import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.Filter;
import dev.jnbdkit.spi.FilterContext;
import dev.jnbdkit.spi.FilterHandle;
import dev.jnbdkit.spi.NextBackend;
import dev.jnbdkit.spi.OpenContext;
import dev.jnbdkit.spi.PluginException;
import dev.jnbdkit.spi.Sizes;

import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * nbdkit-blocksize-filter: the plugin only sees requests aligned to {@code minblock}, with data
 * no longer than {@code maxdata} and other requests no longer than {@code maxlen}. Unaligned
 * reads are widened through a bounce block, unaligned writes and zeroes become
 * read-modify-write cycles, unaligned parts of a trim are dropped, large requests are split, and
 * the size is rounded down to {@code minblock}.
 */
public final class BlocksizeFilter implements Filter {
    static final long NBDKIT_MAX_DATA = 64L << 20;
    static final long PROTOCOL_MAX = 0xFFFF_FFFFL;

    private long minblock, maxdata, maxlen; // 0: not given
    /**
     * Read-modify-write must not interleave with another write of the same block: RMW cycles
     * take this exclusively, aligned writes share it (nbdkit's filter does the same, globally).
     */
    final ReentrantReadWriteLock writeLock = new ReentrantReadWriteLock();

    @Override public String name() { return "blocksize"; }

    @Override public String longname() { return "nbdkit blocksize filter"; }

    @Override
    public String configHelp() {
        return """
                minblock=<SIZE>      Minimum block size, power of 2 <= 64k (default 1).
                maxdata=<SIZE>       Maximum size for read/write (default 64M).
                maxlen=<SIZE>        Maximum size for trim/zero (default 4G-minblock).""";
    }

    @Override
    public void config(NextBackend next, String key, String value) {
        switch (key) {
            case "minblock" -> minblock = Sizes.parse(value);
            case "maxdata" -> {
                maxdata = Sizes.parse(value);
                if (maxdata == 0) throw new PluginException(Errno.EINVAL, "parameter 'maxdata' must be non-zero if specified");
            }
            case "maxlen" -> {
                maxlen = Sizes.parse(value);
                if (maxlen == 0) throw new PluginException(Errno.EINVAL, "parameter 'maxlen' must be non-zero if specified");
                if (maxlen > PROTOCOL_MAX) throw new PluginException(Errno.EINVAL, "parameter 'maxlen' too large");
            }
            default -> next.config(key, value);
        }
    }

    @Override
    public void configComplete(NextBackend next) {
        if (minblock != 0) {
            if (Long.bitCount(minblock) != 1) throw new PluginException(Errno.EINVAL, "minblock must be a power of 2");
            if (minblock > 65536) throw new PluginException(Errno.EINVAL, "minblock must not exceed 65536");
        }
        long align = minblock == 0 ? 1 : minblock;
        if (maxdata != 0 && maxdata % align != 0) {
            throw new PluginException(Errno.EINVAL, "maxdata must be a multiple of " + align);
        }
        if (maxlen != 0 && maxlen % align != 0) {
            throw new PluginException(Errno.EINVAL, "maxlen must be a multiple of " + align);
        }
        next.configComplete();
    }

    @Override
    public FilterHandle open(FilterContext context, OpenContext request) {
        context.open(request.readonly(), request.exportName());
        return new BlocksizeHandle(this, minblock, Math.min(maxdata, NBDKIT_MAX_DATA), maxlen);
    }
}
