package dev.jnbdkit.filters.protect;

import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.Numbers;
import dev.jnbdkit.spi.PluginException;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The byte ranges protect= parameters name, as a sorted list of disjoint ranges. Overlapping or
 * touching ranges are merged and keep the text of the one that starts first, which is the range
 * nbdkit names in its error message.
 */
final class ProtectedRanges {
    /** Bytes {@code first} to {@code last} inclusive, from the parameter {@code text}. */
    record Range(long first, long last, String text) {}

    private final List<Range> given = new ArrayList<>();
    private List<Range> merged = List.of();

    /** One protect=[~]START-END parameter; START defaults to 0, END to the end of the disk. */
    void add(String value) {
        boolean complement = value.startsWith("~");
        String range = complement ? value.substring(1) : value;
        int dash = range.indexOf('-');
        if (dash < 0) throw new PluginException(Errno.EINVAL, "cannot parse range, missing '-': " + value);
        String a = range.substring(0, dash);
        String b = range.substring(dash + 1);
        long first = a.isEmpty() ? 0 : clamp(Numbers.parseUint64("range", a));
        long last = b.isEmpty() ? Long.MAX_VALUE : clamp(Numbers.parseUint64("range", b));
        if (last < first) throw new PluginException(Errno.EINVAL, "invalid range, end < start: " + value);
        if (!complement) {
            given.add(new Range(first, last, value));
        } else {
            if (first > 0) given.add(new Range(0, first - 1, value));
            if (last < Long.MAX_VALUE) given.add(new Range(last + 1, Long.MAX_VALUE, value));
        }
        merged = merge(given);
    }

    /** Offsets past 2^63 lie beyond every export: they mean "to the end". */
    private static long clamp(long unsigned) {
        return unsigned < 0 ? Long.MAX_VALUE : unsigned;
    }

    private static List<Range> merge(List<Range> ranges) {
        List<Range> sorted = new ArrayList<>(ranges);
        sorted.sort(Comparator.comparingLong(Range::first));
        List<Range> out = new ArrayList<>();
        for (Range r : sorted) {
            Range prev = out.isEmpty() ? null : out.getLast();
            if (prev != null && (prev.last() == Long.MAX_VALUE || r.first() <= prev.last() + 1)) {
                out.set(out.size() - 1, new Range(prev.first(), Math.max(prev.last(), r.last()), prev.text()));
            } else {
                out.add(r);
            }
        }
        return List.copyOf(out);
    }

    boolean isEmpty() { return merged.isEmpty(); }

    /** The protected ranges that overlap bytes [offset, offset+count), in order. */
    List<Range> overlapping(long offset, long count) {
        List<Range> out = new ArrayList<>();
        long end = offset + count - 1;
        for (Range r : merged) {
            if (r.first() > end) break;
            if (r.last() >= offset) out.add(r);
        }
        return out;
    }
}
