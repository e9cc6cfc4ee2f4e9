package dev.jnbdkit.plugins.random;

import dev.jnbdkit.spi.PluginException;
import org.junit.jupiter.api.Test;

import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The random plugins' generator, block map and parameters. */
class GeneratorsTest {
    private static String bytes(long seed, long offset, int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) b[i] = Xoshiro256.byteAt(seed, offset + i);
        return HexFormat.of().formatHex(b);
    }

    /** Bytes Debian's nbdkit 1.32 serves for {@code random 1M seed=42} (read with nbdsh). */
    @Test void randomBytesAreNbdkits() {
        assertEquals("a16730e21cb6f8750dc6ae014f2a46e4", bytes(42, 0, 16));
        assertEquals("811fa52c66883f9b", bytes(42, 1000, 8));
    }

    /** xoshiro256** seeded by splitmix64 from 0: the reference implementation's first outputs. */
    @Test void generatorMatchesTheReference() {
        // splitmix64(0) gives the state; these are the first two xoshiro256** outputs for it
        Xoshiro256 g = new Xoshiro256(0);
        long a = g.next(), b = g.next();
        assertEquals(0x99ec5f36cb75f2b4L, a);
        assertEquals(0xbf6e1f784956452aL, b);
    }

    @Test void unsignedConversionRoundsAsC() {
        assertEquals(18446744073709551616.0, BlockMap.unsignedToDouble(-1L));
        assertEquals(9223372036854775808.0, BlockMap.unsignedToDouble(Long.MIN_VALUE));
        assertEquals(1.0, BlockMap.unsignedToDouble(1));
    }

    @Test void blockMapsAreDrawnFromTheSeed() {
        BlockMap a = BlockMap.draw(1L << 30, 7, 10, 16L << 20);
        BlockMap b = BlockMap.draw(1L << 30, 7, 10, 16L << 20);
        BlockMap c = BlockMap.draw(1L << 30, 8, 10, 16L << 20);
        assertEquals(a.dataBlocks(), b.dataBlocks());
        assertTrue(a.dataBlocks() != c.dataBlocks() || a.runEnd(0) != c.runEnd(0));
        assertEquals(0, BlockMap.draw(1L << 20, 1, 0, 4096).dataBlocks());
        assertEquals(256, BlockMap.draw(1L << 20, 1, 100, 4096).dataBlocks());
        // a partial last block counts as a block
        assertEquals(2, BlockMap.draw(4097, 1, 100, 4096).blocks());
    }

    @Test void parametersAsNbdkitReadsThem() {
        assertEquals(4294967295L, Seeds.parse("4294967295"));
        assertEquals(16, Seeds.parse("0x10"));
        assertEquals("seed: negative numbers are not allowed",
                assertThrows(PluginException.class, () -> Seeds.parse("-1")).getMessage());
        assertEquals("seed: could not parse number: \"4294967296\": Numerical result out of range",
                assertThrows(PluginException.class, () -> Seeds.parse("4294967296")).getMessage());
        assertEquals(12.5, SparseRandomPlugin.parsePercent("12.5"));
        assertEquals(10, SparseRandomPlugin.parsePercent("10%"));
        assertThrows(PluginException.class, () -> SparseRandomPlugin.parsePercent("101"));
        assertThrows(PluginException.class, () -> SparseRandomPlugin.parsePercent("x"));
    }
}
