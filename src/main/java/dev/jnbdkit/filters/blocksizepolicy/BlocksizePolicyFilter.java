package dev.jnbdkit.filters.blocksizepolicy;

import dev.jnbdkit.log.Log;
import dev.jnbdkit.spi.BlockSize;
import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.ExtentSink;
import dev.jnbdkit.spi.Filter;
import dev.jnbdkit.spi.FilterHandle;
import dev.jnbdkit.spi.IoBuffer;
import dev.jnbdkit.spi.Next;
import dev.jnbdkit.spi.NextBackend;
import dev.jnbdkit.spi.Nbdkit;
import dev.jnbdkit.spi.PluginException;
import dev.jnbdkit.spi.Sizes;

/**
 * nbdkit-blocksize-policy-filter: advertise block-size constraints the plugin does not
 * ({@code blocksize-minimum}, {@code -preferred}, {@code -maximum}), optionally reject requests
 * that break them ({@code blocksize-error-policy=error}: EINVAL, the plugin never sees them), and
 * drop the connection on a write larger than {@code blocksize-write-disconnect}.
 */
public final class BlocksizePolicyFilter implements Filter, FilterHandle {
    private static final long MAX = 0xFFFF_FFFFL;

    private long minimum, preferred, maximum, disconnect; // 0: not given
    private boolean errorPolicy;

    @Override public String name() { return "blocksize-policy"; }

    @Override public String longname() { return "nbdkit blocksize policy filter"; }

    @Override
    public void config(NextBackend next, String key, String value) {
        switch (key) {
            case "blocksize-error-policy" -> errorPolicy = switch (value) {
                case "allow" -> false;
                case "error" -> true;
                default -> throw new PluginException(Errno.EINVAL, "unknown blocksize-error-policy: " + value);
            };
            case "blocksize-write-disconnect" -> disconnect = size(key, value);
            case "blocksize-minimum" -> {
                minimum = size(key, value);
                if (Long.bitCount(minimum) != 1) throw new PluginException(Errno.EINVAL, "blocksize-minimum must be a power of 2");
                if (minimum > 65536) throw new PluginException(Errno.EINVAL, "blocksize-minimum must be <= 64K");
            }
            case "blocksize-preferred" -> {
                preferred = size(key, value);
                if (Long.bitCount(preferred) != 1) throw new PluginException(Errno.EINVAL, "blocksize-preferred must be a power of 2");
                if (preferred < 512 || preferred > (32 << 20)) {
                    throw new PluginException(Errno.EINVAL, "blocksize-preferred must be between 512 and 32M");
                }
            }
            case "blocksize-maximum" -> maximum = size(key, value);
            default -> next.config(key, value);
        }
    }

    /** A size up to 4G-1: nbdkit prints the size parser's complaint, then its own. */
    private static long size(String key, String value) {
        long v;
        try {
            v = Sizes.parse(value);
        } catch (PluginException e) {
            Log.error(e.getMessage());
            throw new PluginException(Errno.EINVAL, key + ": could not parse " + value);
        }
        if (v > MAX) throw new PluginException(Errno.EINVAL, key + ": could not parse " + value);
        return v;
    }

    @Override
    public void configComplete(NextBackend next) {
        if (minimum != 0 && preferred != 0 && minimum > preferred) {
            throw new PluginException(Errno.EINVAL, "blocksize-minimum must be <= blocksize-preferred");
        }
        if (preferred != 0 && maximum != 0 && preferred > maximum) {
            throw new PluginException(Errno.EINVAL, "blocksize-preferred must be <= blocksize-maximum");
        }
        if (minimum != 0 && maximum != 0 && minimum > maximum) {
            throw new PluginException(Errno.EINVAL, "blocksize-minimum must be <= blocksize-maximum");
        }
        next.configComplete();
    }

    // The filter keeps no per-connection state: it is its own handle.
    @Override
    public FilterHandle open(dev.jnbdkit.spi.FilterContext context, dev.jnbdkit.spi.OpenContext request) {
        context.open(request.readonly(), request.exportName());
        return this;
    }

    /**
     * The plugin's constraints with the configured ones laid over, and defaults (1, 4096, 4G-1)
     * for any still unset; none at all when nothing is configured and the plugin has none.
     */
    @Override
    public BlockSize blockSize(Next next) {
        if (minimum != 0 && preferred != 0 && maximum != 0) return new BlockSize(minimum, preferred, maximum);
        BlockSize plugin = next.blockSize();
        if (minimum == 0 && preferred == 0 && maximum == 0) return plugin;
        long min = minimum != 0 ? minimum : plugin != null && plugin.minimum() != 0 ? plugin.minimum() : 1;
        long pref = preferred != 0 ? preferred : plugin != null && plugin.preferred() != 0 ? plugin.preferred() : 4096;
        long max = maximum != 0 ? maximum : plugin != null && plugin.maximum() != 0 ? plugin.maximum() : MAX;
        if (min > pref || pref > max) {
            throw new PluginException(Errno.EINVAL, "computed block size values are invalid, minimum " + min
                    + " > preferred " + pref + " or preferred > maximum " + max);
        }
        return new BlockSize(min, pref, max);
    }

    /** With the error policy, a request that breaks the advertised constraints gets EINVAL. */
    private void check(Next next, String type, boolean data, long count, long offset) {
        if (!errorPolicy) return;
        BlockSize b = blockSize(next);
        if (b == null || b.minimum() == 0) return;
        long min = b.minimum();
        String why = null;
        if (count < min) why = "count " + count + " is smaller than minimum size " + min;
        else if (data && count > b.maximum()) why = "count " + count + " is larger than maximum size " + b.maximum();
        else if (count % min != 0) why = "count " + count + " is not a multiple of minimum size " + min;
        else if (offset % min != 0) why = "offset " + offset + " is not aligned to a multiple of minimum size " + min;
        if (why != null) throw new PluginException(Errno.EINVAL, "client " + type + " request rejected: " + why);
    }

    @Override
    public void pread(Next next, IoBuffer buf, long offset, int flags) {
        check(next, "pread", true, buf.length(), offset);
        next.pread(buf, offset, flags);
    }

    @Override
    public void pwrite(Next next, IoBuffer buf, long offset, int flags) {
        if (disconnect != 0 && buf.length() > disconnect) {
            Log.error("disconnecting client due to oversize write request");
            Nbdkit.disconnect(true);
            throw new PluginException(Errno.ESHUTDOWN, "");
        }
        check(next, "pwrite", true, buf.length(), offset);
        next.pwrite(buf, offset, flags);
    }

    @Override
    public void trim(Next next, long count, long offset, int flags) {
        check(next, "trim", false, count, offset);
        next.trim(count, offset, flags);
    }

    @Override
    public void zero(Next next, long count, long offset, int flags) {
        check(next, "zero", false, count, offset);
        next.zero(count, offset, flags);
    }

    @Override
    public void cache(Next next, long count, long offset, int flags) {
        check(next, "cache", false, count, offset);
        next.cache(count, offset, flags);
    }

    @Override
    public void extents(Next next, long count, long offset, int flags, ExtentSink extents) {
        check(next, "extents", false, count, offset);
        next.extents(count, offset, flags, extents);
    }
}
