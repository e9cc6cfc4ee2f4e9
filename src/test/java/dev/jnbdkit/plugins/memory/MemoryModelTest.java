package dev.jnbdkit.plugins.memory;

import dev.jnbdkit.plugins.TestIo;
import dev.jnbdkit.plugins.TestIo.E;
import dev.jnbdkit.spi.Extent;
import dev.jnbdkit.spi.Flags;
import dev.jnbdkit.spi.Handle;
import net.jqwik.api.*;
import net.jqwik.api.constraints.Size;

import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/** Random sequences of requests against a byte[] model of the disk. */
class MemoryModelTest {
    static final int SIZE = 300_000; // not a multiple of the chunk size

    record Op(int kind, int offset, int length, long seed) {
        @Override public String toString() {
            return switch (kind) { case 0 -> "write"; case 1 -> "trim"; case 2 -> "zero"; default -> "read"; }
                    + "(" + offset + "+" + length + ")";
        }
    }

    @Provide
    Arbitrary<Op> ops() {
        Arbitrary<Integer> kind = Arbitraries.integers().between(0, 3);
        Arbitrary<Integer> off = Arbitraries.oneOf(Arbitraries.integers().between(0, SIZE - 1),
                Arbitraries.of(0, 32768, 65536, 98304, 131072, SIZE - 1));
        Arbitrary<Integer> len = Arbitraries.oneOf(Arbitraries.integers().between(1, 4096),
                Arbitraries.integers().between(1, 140_000), Arbitraries.of(32768, 65536));
        return Combinators.combine(kind, off, len, Arbitraries.longs())
                .as((k, o, l, s) -> new Op(k, o, Math.min(l, SIZE - o), s));
    }

    @Property(tries = 200)
    void sparseMatchesModel(@ForAll @Size(max = 40) List<@From("ops") Op> ops) { check("sparse", ops); }

    /** allocator=zstd: the system's libzstd (libzstd1) through FFM; no write views. */
    @Property(tries = 50)
    void zstdMatchesModel(@ForAll @Size(max = 40) List<@From("ops") Op> ops) { check("zstd", ops); }

    @Property(tries = 50)
    void mallocMatchesModel(@ForAll @Size(max = 40) List<@From("ops") Op> ops) { check("malloc", ops); }

    /** The zero-copy write: the data copied into the handle's writable views, in order. */
    static void writeThroughViews(Handle h, long offset, byte[] data) {
        int pos = 0;
        for (java.lang.foreign.MemorySegment v : h.pwriteViews(data.length, offset, 0)) {
            java.lang.foreign.MemorySegment.copy(data, pos, v, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, (int) v.byteSize());
            pos += (int) v.byteSize();
        }
        assertEquals(data.length, pos, "the views cover the write exactly");
    }

    /** The zero-copy read: the handle's views, concatenated. */
    static byte[] viewed(Handle h, long offset, int length) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(length);
        for (java.lang.foreign.MemorySegment v : h.preadViews(length, offset, 0)) {
            assertTrue(v.isReadOnly(), "a view must not let the server write into the disk");
            out.writeBytes(v.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
        }
        return out.toByteArray();
    }

    private void check(String allocator, List<Op> ops) {
        MemoryPlugin p = MemoryPluginTest.plugin("size=" + SIZE, "allocator=" + allocator);
        Handle h = p.open(MemoryPluginTest.CTX);
        byte[] model = new byte[SIZE];
        for (Op op : ops) {
            switch (op.kind) {
                case 0 -> {
                    byte[] d = new byte[op.length];
                    new Random(op.seed).nextBytes(d);
                    // Half the writes go through write views, as the server does with them.
                    if ((op.seed & 1) == 0 || !h.offersWriteViews()) TestIo.write(h, op.offset, d, Flags.FUA);
                    else writeThroughViews(h, op.offset, d);
                    System.arraycopy(d, 0, model, op.offset, op.length);
                }
                case 1 -> {
                    h.trim(op.length, op.offset, 0);
                    Arrays.fill(model, op.offset, op.offset + op.length, (byte) 0);
                }
                case 2 -> {
                    h.zero(op.length, op.offset, Flags.MAY_TRIM);
                    Arrays.fill(model, op.offset, op.offset + op.length, (byte) 0);
                }
                default -> {
                    byte[] want = Arrays.copyOfRange(model, op.offset, op.offset + op.length);
                    assertArrayEquals(want, TestIo.read(h, op.offset, op.length));
                    assertArrayEquals(want, viewed(h, op.offset, op.length), "preadViews");
                }
            }
        }
        assertArrayEquals(model, TestIo.read(h, 0, SIZE));
        assertArrayEquals(model, viewed(h, 0, SIZE), "preadViews");
        // extents: cover [0, SIZE) exactly, and every hole reads as zeros in the model
        List<E> ex = TestIo.extents(h, 0, SIZE, 0);
        assertEquals(0, ex.getFirst().offset());
        assertEquals(SIZE, ex.getLast().offset() + ex.getLast().length());
        for (E e : ex) {
            if ((e.type() & Extent.ZERO) != 0) {
                for (long i = e.offset(); i < e.offset() + e.length(); i++) {
                    assertEquals(0, model[(int) i], "non-zero byte at " + i + " inside " + e);
                }
            }
        }
        // from any offset, the first extent starts there
        int from = ops.isEmpty() ? 7 : ops.getFirst().offset;
        assertEquals(from, TestIo.extents(h, from, SIZE - from, Flags.REQ_ONE).getFirst().offset());
    }
}
