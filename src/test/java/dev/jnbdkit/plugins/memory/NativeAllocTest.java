package dev.jnbdkit.plugins.memory;

import dev.jnbdkit.plugins.TestIo;
import dev.jnbdkit.spi.Handle;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.*;

class NativeAllocTest {
    @Test
    void callocIsLinkedAheadOnceHalfTheArenaBudgetIsUsed() {
        // The counter is the JVM's (other tests allocate too): past half the budget either way.
        for (long n = 0; n <= NativeAlloc.ARENA_BUDGET / 2; n += SparseStore.CHUNK) {
            MemorySegment s = NativeAlloc.allocateZeroed(SparseStore.CHUNK);
            assertEquals(0, s.get(ValueLayout.JAVA_LONG, SparseStore.CHUNK - 8));
        }
        assertTrue(NativeAlloc.prelinkStarted(), "calloc linked on its own thread before the budget runs out");
        // and memory still comes zeroed and usable, whichever source it is from now on
        MemorySegment s = NativeAlloc.allocateZeroed(SparseStore.CHUNK);
        assertEquals(0, s.get(ValueLayout.JAVA_LONG, 0));
    }

    @Test
    void callocPathGivesZeroedMemoryThatIsFreedByTheGc() throws Exception {
        NativeAlloc.useCalloc(true);
        try {
            for (int i = 0; i < 2000; i++) {
                MemorySegment s = NativeAlloc.allocateZeroed(SparseStore.CHUNK);
                assertEquals(SparseStore.CHUNK, s.byteSize());
                assertEquals(0, s.get(ValueLayout.JAVA_LONG, 0));
                assertEquals(0, s.get(ValueLayout.JAVA_LONG, SparseStore.CHUNK - 8));
                s.fill((byte) 0x7f);
            }
            // the dropped segments' cleaners free them; this must not crash
            System.gc();
            Thread.sleep(100);
            // and the memory plugin works on top of it, including trims of calloc'd chunks
            MemoryPlugin p = MemoryPluginTest.plugin("16M");
            Handle h = p.open(MemoryPluginTest.CTX);
            byte[] d = new byte[1 << 20];
            Arrays.fill(d, (byte) 3);
            TestIo.write(h, 12345, d);
            assertArrayEquals(d, TestIo.read(h, 12345, d.length));
            h.trim(16 << 20, 0, 0);
            System.gc();
            assertArrayEquals(new byte[d.length], TestIo.read(h, 12345, d.length));
        } finally {
            NativeAlloc.useCalloc(false);
        }
    }
}
