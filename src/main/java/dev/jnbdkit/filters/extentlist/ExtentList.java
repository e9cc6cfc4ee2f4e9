package dev.jnbdkit.filters.extentlist;

import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.Extent;
import dev.jnbdkit.spi.ExtentSink;
import dev.jnbdkit.spi.PluginException;
import dev.jnbdkit.spi.Sizes;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The extent list file: one {@code offset length [type]} per line (fields separated by spaces or
 * tabs, sizes in nbdkit_parse_size's syntax, further fields ignored). The type is an integer
 * (its leading decimal digits, as C's strtol reads them) or comma-separated words of which those
 * starting {@code hole} or {@code zero} count; missing means data. The lines may come in any
 * order but must not overlap; gaps, and everything after the last extent, read as hole+zero.
 */
final class ExtentList {
    record Entry(long offset, long length, int type) {
        long end() { return offset + length; }
    }

    private final List<Entry> entries;

    private ExtentList(List<Entry> entries) { this.entries = entries; }

    static ExtentList parse(String file, String text) {
        List<Entry> out = new ArrayList<>();
        String[] lines = text.split("\n", -1);
        int n = text.isEmpty() ? 0 : text.endsWith("\n") ? lines.length - 1 : lines.length;
        for (int i = 0; i < n; i++) {
            String line = lines[i];
            String[] f = line.replaceFirst("^[ \t]+", "").split("[ \t]+");
            if (f.length < 2 || f[0].isEmpty()) throw new PluginException(Errno.EINVAL, file + ": cannot parse " + line);
            long offset = size(f[0]);
            long length = size(f[1]);
            int type = f.length > 2 ? type(f[2]) : 0;
            if (length > 0) out.add(new Entry(offset, length, type));
        }
        out.sort(Comparator.comparingLong(Entry::offset));
        for (int i = 1; i < out.size(); i++) {
            if (out.get(i).offset() < out.get(i - 1).end()) {
                throw new PluginException(Errno.EINVAL, "extents in the extent list are overlapping");
            }
        }
        return new ExtentList(List.copyOf(out));
    }

    /** nbdkit_parse_size, except that a carriage return (a DOS line end) is a bad suffix, not space. */
    private static long size(String field) {
        if (!field.equals(field.strip())) {
            int i = 0;
            while (i < field.length() && Character.isDigit(field.charAt(i))) i++;
            if (i > 0) throw new PluginException(Errno.EINVAL, "could not parse size: unknown suffix '" + field.substring(i) + "'");
        }
        return Sizes.parse(field);
    }

    static int type(String field) {
        char c = field.charAt(0);
        if (Character.isDigit(c) || c == '-' || c == '+') {
            int i = (c == '-' || c == '+') ? 1 : 0;
            long v = 0;
            while (i < field.length() && Character.isDigit(field.charAt(i)) && v < Integer.MAX_VALUE) {
                v = v * 10 + (field.charAt(i) - '0');
                i++;
            }
            return (int) (c == '-' ? -v : v) & (Extent.HOLE | Extent.ZERO);
        }
        int type = 0;
        for (String word : field.split(",")) {
            if (word.startsWith("hole")) type |= Extent.HOLE;
            else if (word.startsWith("zero")) type |= Extent.ZERO;
        }
        return type;
    }

    /** Reports [offset, offset+count): the listed extents, hole+zero for the gaps. */
    void report(long count, long offset, ExtentSink sink) {
        long end = offset + count;
        long pos = offset;
        int i = firstEndingAfter(offset);
        for (; i < entries.size() && pos < end; i++) {
            Entry e = entries.get(i);
            if (e.offset() > pos) {
                long gapEnd = Math.min(e.offset(), end);
                sink.add(pos, gapEnd - pos, Extent.HOLE | Extent.ZERO);
                pos = gapEnd;
                if (pos >= end) break;
            }
            long to = Math.min(e.end(), end);
            sink.add(pos, to - pos, e.type());
            pos = to;
        }
        if (pos < end) sink.add(pos, end - pos, Extent.HOLE | Extent.ZERO);
    }

    /** Index of the first entry whose end lies after {@code offset} (binary search). */
    private int firstEndingAfter(long offset) {
        int lo = 0;
        int hi = entries.size();
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (entries.get(mid).end() <= offset) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }
}
