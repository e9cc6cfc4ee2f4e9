package dev.jnbdkit.filters.swab;

import dev.jnbdkit.spi.ExtentSink;
import dev.jnbdkit.spi.Extents;
import dev.jnbdkit.spi.Next;

import java.util.List;

/**
 * nbdkit_extents_aligned: the next layer's extents of an aligned range, with every boundary on a
 * multiple of {@code align}; a block that straddles a boundary gets the types all its parts share
 * (a bitwise and: data wins over hole, non-zero over zero). (Would belong in spi.Extents as
 * {@code static Extents aligned(Next next, long count, long offset, int flags, int align)}.)
 */
final class AlignedExtents {
    private AlignedExtents() {}

    static void report(Next next, long count, long offset, int flags, int align, ExtentSink out) {
        List<Extents.Entry> es = Extents.full(next, count, offset, flags).entries();
        long end = offset + count;
        long pos = offset;
        int i = 0;
        while (i < es.size() && pos < end) {
            Extents.Entry e = es.get(i);
            long eEnd = Math.min(e.end(), end);
            if (eEnd <= pos) { i++; continue; }
            long down = eEnd - eEnd % align;
            if (eEnd % align == 0) {
                out.add(pos, eEnd - pos, e.type());
                pos = eEnd;
                i++;
                continue;
            }
            if (down > pos) {
                out.add(pos, down - pos, e.type());
                pos = down;
            }
            // The block [pos, pos+align) straddles this extent and the next ones.
            long blockEnd = pos + align;
            int type = e.type();
            int j = i + 1;
            while (j < es.size() && es.get(j).offset() < blockEnd) {
                type &= es.get(j).type();
                if (es.get(j).end() > blockEnd) break;
                j++;
            }
            out.add(pos, align, type);
            pos = blockEnd;
            i = j;
        }
    }
}
