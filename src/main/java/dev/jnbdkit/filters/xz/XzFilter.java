package dev.jnbdkit.filters.xz;

import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.Filter;
import dev.jnbdkit.spi.FilterContext;
import dev.jnbdkit.spi.FilterHandle;
import dev.jnbdkit.spi.NextBackend;
import dev.jnbdkit.spi.Numbers;
import dev.jnbdkit.spi.OpenContext;
import dev.jnbdkit.spi.PluginException;
import dev.jnbdkit.spi.Sizes;
import dev.jnbdkit.spi.ThreadModel;

/**
 * nbdkit-xz-filter: serves the uncompressed contents of an xz file, read-only, with random access
 * through the file's index of blocks (the system's liblzma decodes, see {@link Lzma}). Each
 * connection keeps up to {@code xz-max-depth} uncompressed blocks; files with a block larger than
 * {@code xz-max-block} are refused. As nbdkit's, one request at a time per connection.
 */
public final class XzFilter implements Filter {
    private long maxBlock = 512L << 20;
    private int maxDepth = 8;

    @Override public String name() { return "xz"; }

    @Override public String longname() { return "nbdkit XZ filter"; }

    @Override
    public String configHelp() {
        return "xz-max-block=<SIZE> (optional) Maximum block size allowed (default: 512M)\n"
                + "xz-max-depth=<N>    (optional) Maximum blocks in cache (default: 8)";
    }

    @Override
    public void config(NextBackend next, String key, String value) {
        switch (key) {
            case "xz-max-block" -> maxBlock = Sizes.parse(value);
            case "xz-max-depth" -> {
                long n = Numbers.parseUnsigned("xz-max-depth", value);
                if (n == 0) throw new PluginException(Errno.EINVAL, "'xz-max-depth' parameter must be >= 1");
                // Each slot is a block of memory: more than this many could never be allocated.
                maxDepth = (int) Math.min(n, 1 << 20);
            }
            default -> next.config(key, value);
        }
    }

    @Override public ThreadModel threadModel() { return ThreadModel.SERIALIZE_REQUESTS; }

    @Override
    public FilterHandle open(FilterContext context, OpenContext request) {
        context.open(true, request.exportName()); // the compressed file is only ever read
        return new XzHandle(maxBlock, maxDepth);
    }
}
