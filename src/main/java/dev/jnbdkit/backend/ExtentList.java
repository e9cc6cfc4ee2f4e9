package dev.jnbdkit.backend;

import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.ExtentSink;
import dev.jnbdkit.spi.PluginException;

import java.util.Arrays;

/**
 * Collects a plugin's extents for one block-status request, as nbdkit_add_extent does: extents
 * wholly before the requested range are ignored, the rest must follow each other without gaps,
 * everything is clipped to the range [start, end), neighbours of the same type are merged, and
 * with REQ_ONE collection stops after the first.
 */
public final class ExtentList implements ExtentSink {
    /** Most extents kept: a reply never carries more, so a fragmented plugin cannot make us allocate more. */
    public static final int MAX_EXTENTS = 1 << 16;

    private final long start;
    private final long end;
    private final boolean one;
    private long next;
    private int count;
    private long[] lengths = new long[8];
    private int[] types = new int[8];

    public ExtentList(long start, long count, boolean reqOne) {
        this.start = start;
        this.end = start + count;
        this.one = reqOne;
        this.next = start;
    }

    @Override
    public void add(long offset, long length, int type) {
        if (length < 0 || offset < 0) throw new PluginException(Errno.EINVAL, "extents: negative offset or length");
        if (length == 0) return;
        // A plugin may report a huge length ("to the end"): saturate instead of overflowing.
        long stop = length > Long.MAX_VALUE - offset ? Long.MAX_VALUE : offset + length;
        if (stop <= start && count == 0 && next == start) return; // before the range
        if (next >= end || (one && count > 0)) return; // already complete
        long from = Math.max(offset, start);
        if (from != next) {
            throw new PluginException(Errno.EINVAL, "extents: extent at " + offset
                    + " does not follow the previous one (expected " + next + ")");
        }
        long to = Math.min(stop, end);
        long len = to - from;
        next = to;
        if (count > 0 && types[count - 1] == type && !one) {
            lengths[count - 1] += len;
            return;
        }
        if (count == MAX_EXTENTS) { // full: report what we have, a prefix of the range
            next = end;
            return;
        }
        if (count == lengths.length) {
            lengths = Arrays.copyOf(lengths, count * 2);
            types = Arrays.copyOf(types, count * 2);
        }
        lengths[count] = len;
        types[count] = type;
        count++;
    }

    /** Covers at least the first byte of the range; the plugin must give one extent. */
    public void checkNotEmpty() {
        if (count == 0) throw new PluginException(Errno.EINVAL, "extents: plugin returned no extent for offset " + start);
    }

    public int count() { return count; }

    public long[] lengths() { return lengths; }

    public int[] types() { return types; }
}
