package dev.jnbdkit.plugins.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.PluginException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

class ZstdLibTest {
    /** A library that cannot be loaded: every use fails alike, the second as clearly as the first. */
    @Test
    void aMissingLibraryFailsEveryUseWithTheSameMessage() {
        ZstdLib.Linked failed = ZstdLib.link("libjnbdkit-no-such-zstd.so.1");
        assertInstanceOf(ZstdLib.Failed.class, failed);
        PluginException first = assertThrows(PluginException.class, failed::require);
        PluginException second = assertThrows(PluginException.class, failed::require);
        assertEquals(Errno.ENOENT, first.errno());
        assertEquals(Errno.ENOENT, second.errno());
        assertTrue(first.getMessage().startsWith(
                "allocator=zstd: cannot load libjnbdkit-no-such-zstd.so.1 (Debian package libzstd1): "), first.getMessage());
        assertEquals(first.getMessage(), second.getMessage());
    }

    /** The system's libzstd (Debian package libzstd1): loads, round-trips. */
    @Test
    void theSystemLibraryLoadsOnceAndRoundTrips() {
        assertTrue(ZstdLib.available(), "libzstd.so.1 (Debian package libzstd1) is missing");
        ZstdLib.load();
        ZstdLib.load();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment src = a.allocate(4096);
            for (int i = 0; i < 4096; i++) src.set(java.lang.foreign.ValueLayout.JAVA_BYTE, i, (byte) (i % 7));
            MemorySegment dst = a.allocate(ZstdLib.compressBound(4096));
            long n = ZstdLib.compress(dst, src);
            MemorySegment back = a.allocate(4096);
            assertEquals(4096, ZstdLib.decompress(back, dst.asSlice(0, n)));
            assertEquals(-1, back.mismatch(src));
        }
    }
}
