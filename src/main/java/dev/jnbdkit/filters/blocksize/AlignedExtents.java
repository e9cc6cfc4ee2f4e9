package dev.jnbdkit.filters.blocksize;

import dev.jnbdkit.spi.Extents;
import dev.jnbdkit.spi.Flags;
import dev.jnbdkit.spi.Next;

import java.util.List;

/**
 * nbdkit_extents_aligned: the extents of an aligned range with every boundary on a multiple of
 * {@code align}. A block that straddles extents of different types gets the types ANDed (a block
 * that is part hole and part data is data; part zero and part hole-and-zero is zero), so a
 * client never sees a hole or zero claim for bytes that are not.
 *
 * <p>Belongs in {@code spi.Extents} as
 * {@code public static Extents aligned(Next next, long count, long offset, int flags, long align)}.
 */
final class AlignedExtents {
    private AlignedExtents() {}

    /**
     * {@code offset} and {@code count} are multiples of {@code align}, within the next layer's
     * size. Returns at least one aligned block (or less than asked, never nothing).
     */
    static Extents of(Next next, long count, long offset, int flags, long align) {
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
