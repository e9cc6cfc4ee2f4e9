package dev.jnbdkit.backend;

import dev.jnbdkit.spi.Extent;
import dev.jnbdkit.spi.PluginException;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ExtentListTest {
    private static long[] lengths(ExtentList l) { return java.util.Arrays.copyOf(l.lengths(), l.count()); }

    private static int[] types(ExtentList l) { return java.util.Arrays.copyOf(l.types(), l.count()); }

    @Test
    void clipsToTheRange() {
        ExtentList l = new ExtentList(100, 50, false);
        l.add(0, 120, Extent.HOLE);     // starts before the range: clipped to [100,120)
        l.add(120, 1000, Extent.DATA);  // runs past the end: clipped to [120,150)
        assertArrayEquals(new long[] {20, 30}, lengths(l));
        assertArrayEquals(new int[] {Extent.HOLE, Extent.DATA}, types(l));
    }

    @Test
    void ignoresExtentsWhollyBefore() {
        ExtentList l = new ExtentList(100, 50, false);
        l.add(0, 50, Extent.DATA);
        l.add(50, 50, Extent.HOLE);
        l.add(100, 50, Extent.ZERO);
        assertArrayEquals(new long[] {50}, lengths(l));
        assertArrayEquals(new int[] {Extent.ZERO}, types(l));
    }

    @Test
    void mergesNeighboursOfTheSameType() {
        ExtentList l = new ExtentList(0, 100, false);
        l.add(0, 10, Extent.DATA);
        l.add(10, 10, Extent.DATA);
        l.add(20, 30, Extent.HOLE | Extent.ZERO);
        l.add(50, 50, Extent.HOLE | Extent.ZERO);
        assertArrayEquals(new long[] {20, 80}, lengths(l));
        assertArrayEquals(new int[] {0, 3}, types(l));
    }

    @Test
    void ignoresWhatComesAfterTheEnd() {
        ExtentList l = new ExtentList(0, 10, false);
        l.add(0, 10, Extent.DATA);
        l.add(10, 10, Extent.HOLE);
        l.add(500, 10, Extent.HOLE); // not even contiguous: still ignored once complete
        assertArrayEquals(new long[] {10}, lengths(l));
    }

    @Test
    void reqOneKeepsOnlyTheFirstExtentUnmerged() {
        ExtentList l = new ExtentList(0, 100, true);
        l.add(0, 10, Extent.DATA);
        l.add(10, 10, Extent.DATA);
        l.add(20, 80, Extent.HOLE);
        assertEquals(1, l.count());
        assertArrayEquals(new long[] {10}, lengths(l));
    }

    @Test
    void gapsAndOverlapsAreRefused() {
        ExtentList gap = new ExtentList(0, 100, false);
        gap.add(0, 10, Extent.DATA);
        PluginException e = assertThrows(PluginException.class, () -> gap.add(20, 10, Extent.DATA));
        assertEquals(dev.jnbdkit.spi.Errno.EINVAL, e.errno());

        ExtentList back = new ExtentList(0, 100, false);
        back.add(0, 10, Extent.DATA);
        assertThrows(PluginException.class, () -> back.add(5, 10, Extent.HOLE));

        ExtentList late = new ExtentList(100, 100, false);
        assertThrows(PluginException.class, () -> late.add(150, 10, Extent.HOLE), "first extent must cover the start");
    }

    @Test
    void negativeIsRefusedAndEmptyIgnored() {
        ExtentList l = new ExtentList(0, 100, false);
        assertThrows(PluginException.class, () -> l.add(0, -1, Extent.DATA));
        assertThrows(PluginException.class, () -> l.add(-1, 5, Extent.DATA));
        l.add(0, 0, Extent.HOLE);
        assertEquals(0, l.count());
        assertThrows(PluginException.class, l::checkNotEmpty);
    }

    @Test
    void hugeExtentReachingToTheEndOfTime() {
        // A plugin may say "hole from here to the end" with an enormous length.
        ExtentList l = new ExtentList(4096, 4096, false);
        l.add(4096, Long.MAX_VALUE, Extent.HOLE);
        l.checkNotEmpty();
        assertArrayEquals(new long[] {4096}, lengths(l));
        ExtentList m = new ExtentList(4096, 4096, false);
        m.add(0, Long.MAX_VALUE, Extent.HOLE);
        assertArrayEquals(new long[] {4096}, lengths(m));
    }

    /** Random contiguous extents from 0: the list covers exactly the range, merged and in order. */
    @Property(tries = 300)
    void coversExactlyTheRange(@ForAll @Size(min = 1, max = 20) List<@IntRange(min = 1, max = 50) Integer> lens,
                               @ForAll @Size(min = 20, max = 20) List<@IntRange(min = 0, max = 3) Integer> kinds,
                               @ForAll @IntRange(min = 0, max = 400) int start,
                               @ForAll @IntRange(min = 1, max = 400) int count,
                               @ForAll boolean reqOne) {
        long total = lens.stream().mapToLong(Integer::longValue).sum();
        ExtentList l = new ExtentList(start, count, reqOne);
        long at = 0;
        for (int i = 0; i < lens.size(); i++) {
            l.add(at, lens.get(i), kinds.get(i));
            at += lens.get(i);
        }
        if (total <= start) {
            assertEquals(0, l.count());
            return;
        }
        assertTrue(l.count() >= 1);
        long sum = 0;
        for (int i = 0; i < l.count(); i++) {
            assertTrue(l.lengths()[i] > 0);
            if (i > 0) assertTrue(l.types()[i] != l.types()[i - 1], "neighbours merged");
            sum += l.lengths()[i];
        }
        if (reqOne) assertEquals(1, l.count());
        else assertEquals(Math.min(count, total - start), sum);
        // the first extent's type is the one covering 'start'
        long pos = 0;
        int expectType = -1;
        for (int i = 0; i < lens.size(); i++) {
            if (start < pos + lens.get(i)) { expectType = kinds.get(i); break; }
            pos += lens.get(i);
        }
        assertEquals(expectType, l.types()[0]);
    }
}
