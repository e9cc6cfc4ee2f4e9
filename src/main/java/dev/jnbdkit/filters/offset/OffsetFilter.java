package dev.jnbdkit.filters.offset;

import dev.jnbdkit.filters.common.ShiftedHandle;
import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.Filter;
import dev.jnbdkit.spi.FilterContext;
import dev.jnbdkit.spi.FilterHandle;
import dev.jnbdkit.spi.Next;
import dev.jnbdkit.spi.NextBackend;
import dev.jnbdkit.spi.OpenContext;
import dev.jnbdkit.spi.PluginException;
import dev.jnbdkit.spi.Sizes;

/**
 * nbdkit-offset-filter: serves the byte range [offset, offset+range) of the next layer. Every
 * request is moved by {@code offset}; the size is {@code range}, or the rest of the device.
 */
public final class OffsetFilter implements Filter {
    private long offset;
    private long range = -1;

    @Override public String name() { return "offset"; }

    @Override public String longname() { return "nbdkit offset filter"; }

    @Override
    public String configHelp() {
        return "offset=<OFFSET>            The start offset to serve (default 0).\n"
                + "range=<LENGTH>             The total size to serve (default rest of file).";
    }

    @Override
    public void config(NextBackend next, String key, String value) {
        switch (key) {
            case "offset" -> offset = Sizes.parse(value);
            case "range" -> range = Sizes.parse(value);
            default -> next.config(key, value);
        }
    }

    @Override
    public FilterHandle open(FilterContext context, OpenContext request) {
        context.open(request.readonly(), request.exportName());
        return new Shifted(offset, range);
    }

    /** One connection: requests moved by {@code offset}, size {@code range} or the rest. */
    static final class Shifted extends ShiftedHandle {
        private final long offset;
        private final long range;

        Shifted(long offset, long range) {
            this.offset = offset;
            this.range = range;
        }

        @Override
        public long getSize(Next next) {
            long real = next.getSize();
            if (range >= 0) {
                if (offset > real - range) {
                    throw new PluginException(Errno.EINVAL, "offset+range (" + offset + "+" + range
                            + ") is larger than the real size (" + real + ") of the underlying file or device");
                }
                return range;
            }
            if (offset > real) {
                throw new PluginException(Errno.EINVAL, "offset (" + offset + ") is larger than the real size ("
                        + real + ") of the underlying file or device");
            }
            return real - offset;
        }

        @Override protected long offset() { return offset; }
    }
}
