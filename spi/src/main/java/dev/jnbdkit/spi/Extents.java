package dev.jnbdkit.spi;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A list of extents a filter collects from the next layer (nbdkit_extents_new and friends), with
 * the rules of nbdkit_add_extent: extents wholly before {@code start} are ignored, the rest must
 * follow each other without gaps, everything is clipped to [start, end), and a neighbour of the
 * same type is merged into the previous extent. Not thread-safe: one per request.
 */
public final class Extents implements ExtentSink {
    /** One extent. */
    public record Entry(long offset, long length, int type) {
        public long end() { return offset + length; }
    }

    private final long start;
    private final long end;
    private final List<Entry> entries = new ArrayList<>();
    private long next;

    /** An empty list for the range [start, end). */
    public Extents(long start, long end) {
        if (start < 0 || end < start) throw new IllegalArgumentException("bad extents range " + start + ".." + end);
        this.start = start;
        this.end = end;
        this.next = start;
    }

    @Override
    public void add(long offset, long length, int type) {
        if (offset < 0 || length < 0) throw new PluginException(Errno.EINVAL, "extents: negative offset or length");
        if (length == 0) return;
        long stop = length > Long.MAX_VALUE - offset ? Long.MAX_VALUE : offset + length;
        if (entries.isEmpty() && stop <= start) return; // before the range
        if (next >= end) return; // already complete
        long from = Math.max(offset, start);
        if (from != next) {
            throw new PluginException(Errno.EINVAL, "extents: extent at " + offset
                    + " does not follow the previous one (expected " + next + ")");
        }
        long to = Math.min(stop, end);
        next = to;
        if (!entries.isEmpty() && entries.getLast().type() == type) {
            Entry last = entries.removeLast();
            entries.add(new Entry(last.offset(), to - last.offset(), type));
        } else {
            entries.add(new Entry(from, to - from, type));
        }
    }

    public long start() { return start; }

    public long end() { return end; }

    /** Where the extents collected so far end (start() when there are none). */
    public long covered() { return next; }

    public int count() { return entries.size(); }

    public Entry get(int i) { return entries.get(i); }

    public List<Entry> entries() { return Collections.unmodifiableList(entries); }

    /** Adds every entry to {@code sink}, each shifted by {@code delta} (for filters that move offsets). */
    public void copyTo(ExtentSink sink, long delta) {
        for (Entry e : entries) sink.add(e.offset() + delta, e.length(), e.type());
    }

    /**
     * The extents of [offset, offset+count) from {@code next}, asking as often as needed until
     * the whole range is covered (nbdkit_extents_full); REQ_ONE is dropped from {@code flags}.
     */
    public static Extents full(Next next, long count, long offset, int flags) {
        Extents all = new Extents(offset, offset + count);
        int f = flags & ~Flags.REQ_ONE;
        while (all.covered() < all.end()) {
            long at = all.covered();
            Extents part = new Extents(at, all.end());
            next.extents(all.end() - at, at, f, part);
            if (part.count() == 0) throw new PluginException(Errno.EIO, "extents: no extent returned for offset " + at);
            part.copyTo(all, 0);
        }
        return all;
    }

    /**
     * The extents of [offset, offset+count) from {@code next} with every boundary on a multiple of
     * {@code align} (nbdkit_extents_aligned): a block that straddles extents of different types
     * gets the types ANDed (part hole and part data is data; part zero and part hole-and-zero is
     * zero), so a client never sees a hole or zero claim for bytes that are not. {@code offset}
     * and {@code count} must be multiples of {@code align} within the next layer's size; asks the
     * next layer as often as needed to decide at least one aligned block, and returns a prefix of
     * the range (never nothing).
     */
    public static Extents aligned(Next next, long count, long offset, int flags, long align) {
        long end = offset + count;
        Extents got = new Extents(offset, end);
        next.extents(count, offset, flags, got);
        // The last block must be described completely before its type can be decided.
        while (got.covered() < end && (got.covered() % align != 0 || got.covered() == offset)) {
            long at = got.covered();
            long stop = Math.min(end, (at / align + 1) * align);
            next.extents(stop - at, at, flags & ~Flags.REQ_ONE, got);
        }
        Extents out = new Extents(offset, got.covered());
        List<Extents.Entry> in = got.entries();
        int i = 0;
        long pos = offset, limit = got.covered();
        while (pos < limit) {
            while (in.get(i).end() <= pos) i++;
            Extents.Entry e = in.get(i);
            if (e.end() % align == 0 || e.end() >= limit) {
                out.add(pos, e.end() - pos, e.type());
                pos = e.end();
                continue;
            }
            long whole = e.end() / align * align;
            if (whole > pos) {
                out.add(pos, whole - pos, e.type());
                pos = whole;
            }
            // [pos, pos+align) straddles extents: the type every byte of it has.
            long blockEnd = pos + align;
            int type = ~0;
            for (int j = i; j < in.size() && in.get(j).offset() < blockEnd; j++) type &= in.get(j).type();
            out.add(pos, align, type);
            pos = blockEnd;
        }
        return out;
    }
}
