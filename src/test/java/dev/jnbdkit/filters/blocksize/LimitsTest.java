package dev.jnbdkit.filters.blocksize;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.jnbdkit.spi.BlockSize;
import org.junit.jupiter.api.Test;

class LimitsTest {
    @Test
    void defaultsWithoutPluginLimits() {
        assertEquals(new Limits(1, 64L << 20, 0xFFFF_FFFFL), Limits.of(0, 0, 0, null));
        assertEquals(new Limits(512, 64L << 20, 0xFFFF_FFFFL / 512 * 512), Limits.of(512, 0, 0, null));
    }

    @Test
    void thePluginsMinimumRaisesAndItsMaximumCaps() {
        BlockSize plugin = new BlockSize(4096, 65536, 1 << 20);
        assertEquals(new Limits(4096, 1 << 20, 0xFFFF_FFFFL / 4096 * 4096), Limits.of(512, 0, 0, plugin));
        assertEquals(new Limits(4096, 8192, 16384), Limits.of(0, 8192, 16384, plugin));
    }
}
