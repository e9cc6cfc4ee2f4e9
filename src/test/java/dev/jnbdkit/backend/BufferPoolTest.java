package dev.jnbdkit.backend;

import dev.jnbdkit.spi.IoBuffer;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BufferPoolTest {
    private static long address(IoBuffer b) { return b.segment().address(); }

    @Test
    void exactLengthAndAlignment() {
        BufferPool pool = new BufferPool();
        for (long n : new long[] {0, 1, 511, 4096, 4097, 1 << 20, (1 << 20) + 1}) {
            IoBuffer b = pool.allocate(n);
            assertEquals(n, b.length());
            assertEquals(0, address(b) % 4096, "page aligned");
            b.release();
        }
        assertEquals(64 << 20, pool.allocate(64 << 20).length());
        assertThrows(IllegalArgumentException.class, () -> pool.allocate((64 << 20) + 1));
        assertThrows(IllegalArgumentException.class, () -> pool.allocate(-1));
    }

    @Test
    void releasedBufferIsReused() {
        BufferPool pool = new BufferPool();
        IoBuffer a = pool.allocate(4096);
        long addr = address(a);
        a.release();
        IoBuffer b = pool.allocate(3000); // same size class
        assertEquals(addr, address(b));
        b.release();
    }

    @Test
    void retainedBufferIsNotHandedOutUntilReleased() {
        BufferPool pool = new BufferPool();
        IoBuffer a = pool.allocate(8192);
        long addr = address(a);
        a.retain();       // a plugin keeps the memory
        a.release();      // the server is done with the request
        List<IoBuffer> others = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            IoBuffer o = pool.allocate(8192);
            assertTrue(address(o) != addr, "retained memory handed out again");
            others.add(o);
        }
        for (IoBuffer o : others) o.release();
        a.release();      // the plugin lets go
        boolean seen = false;
        List<IoBuffer> again = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            IoBuffer o = pool.allocate(8192);
            again.add(o);
            if (address(o) == addr) seen = true;
        }
        assertTrue(seen, "released memory returns to the pool");
        for (IoBuffer o : again) o.release();
    }

    @Test
    void overReleaseAndRetainAfterReleaseAreRefused() {
        BufferPool pool = new BufferPool();
        IoBuffer a = pool.allocate(100);
        a.release();
        assertThrows(IllegalStateException.class, a::release);
        IoBuffer b = pool.allocate(100);
        b.release();
        assertThrows(IllegalStateException.class, b::retain);
    }

    @Test
    void retainAfterReleaseDoesNotPoolTheBufferTwice() {
        BufferPool pool = new BufferPool();
        IoBuffer a = pool.allocate(16384);
        a.release();
        assertThrows(IllegalStateException.class, a::retain);
        assertThrows(IllegalStateException.class, a::release);
        IoBuffer x = pool.allocate(16384);
        IoBuffer y = pool.allocate(16384);
        assertFalse(address(x) == address(y), "the same memory handed to two requests");
        x.release();
        y.release();
    }

    @Test
    void zeroedIsZero() {
        BufferPool pool = new BufferPool();
        IoBuffer a = pool.allocate(4096);
        a.segment().fill((byte) 0x77);
        a.release();
        IoBuffer z = pool.allocateZeroed(4096);
        for (long i = 0; i < 4096; i++) assertEquals(0, z.segment().get(java.lang.foreign.ValueLayout.JAVA_BYTE, i));
        z.release();
    }
}
