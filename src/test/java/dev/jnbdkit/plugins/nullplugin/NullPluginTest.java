package dev.jnbdkit.plugins.nullplugin;

import dev.jnbdkit.plugins.TestIo;
import dev.jnbdkit.plugins.TestIo.E;
import dev.jnbdkit.spi.CacheMode;
import dev.jnbdkit.spi.Extent;
import dev.jnbdkit.spi.Flags;
import dev.jnbdkit.spi.FuaMode;
import dev.jnbdkit.spi.Handle;
import dev.jnbdkit.spi.OpenContext;
import dev.jnbdkit.spi.PluginException;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class NullPluginTest {
    static final OpenContext CTX = new OpenContext(false, "", false);

    @Test
    void sizeIsOptionalAndMagic() {
        NullPlugin p = new NullPlugin();
        assertEquals("size", p.magicConfigKey());
        p.configComplete();
        assertEquals(0, p.open(CTX).getSize());
        p.config("size", "1E");
        assertEquals(1L << 60, p.open(CTX).getSize());
        assertEquals("unknown parameter 'foo'",
                assertThrows(PluginException.class, () -> p.config("foo", "bar")).getMessage());
    }

    @Test
    void readsZerosDiscardsWritesReportsOneHole() {
        NullPlugin p = new NullPlugin();
        p.config("size", "1M");
        Handle h = p.open(CTX);
        byte[] ones = new byte[4096];
        Arrays.fill(ones, (byte) 1);
        TestIo.write(h, 0, ones, Flags.FUA);
        assertArrayEquals(new byte[4096], TestIo.read(h, 0, 4096));
        h.trim(10, 10, 0);
        h.zero(10, 10, Flags.FAST_ZERO);
        h.flush(0);
        h.cache(10, 0, 0);
        assertEquals(List.of(new E(100, (1 << 20) - 100, Extent.HOLE | Extent.ZERO)),
                TestIo.extents(h, 100, 4096, Flags.REQ_ONE));
        assertTrue(h.canWrite() && h.canTrim() && h.canZero() && h.canFastZero() && h.canExtents()
                && h.canMultiConn() && h.canFlush());
        assertEquals(FuaMode.NATIVE, h.canFua());
        assertEquals(CacheMode.NATIVE, h.canCache());
    }
}
