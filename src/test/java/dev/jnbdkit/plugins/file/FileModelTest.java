package dev.jnbdkit.plugins.file;

import dev.jnbdkit.plugins.TestIo;
import dev.jnbdkit.plugins.TestIo.E;
import dev.jnbdkit.spi.Extent;
import dev.jnbdkit.spi.Flags;
import dev.jnbdkit.spi.Handle;
import dev.jnbdkit.spi.OpenContext;
import net.jqwik.api.*;
import net.jqwik.api.constraints.Size;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/** Random requests against a sparse file and a byte[] model, on the temp file system and tmpfs. */
class FileModelTest {
    static final int SIZE = 200_000;

    record Op(int kind, int offset, int length, int flags, long seed) {
        @Override public String toString() {
            return switch (kind) { case 0 -> "write"; case 1 -> "trim"; case 2 -> "zero"; default -> "read"; }
                    + "(" + offset + "+" + length + ",flags=" + flags + ")";
        }
    }

    @Provide
    Arbitrary<Op> ops() {
        Arbitrary<Integer> off = Arbitraries.oneOf(Arbitraries.integers().between(0, SIZE - 1),
                Arbitraries.of(0, 4096, 65536, 131072));
        Arbitrary<Integer> len = Arbitraries.oneOf(Arbitraries.integers().between(1, 5000),
                Arbitraries.integers().between(1, 100_000), Arbitraries.of(4096, 65536));
        Arbitrary<Integer> flags = Arbitraries.of(0, Flags.MAY_TRIM, Flags.FUA, Flags.MAY_TRIM | Flags.FUA);
        return Combinators.combine(Arbitraries.integers().between(0, 3), off, len, flags, Arbitraries.longs())
                .as((k, o, l, f, s) -> new Op(k, o, Math.min(l, SIZE - o), f, s));
    }

    @Property(tries = 60)
    void fileMatchesModel(@ForAll @Size(max = 30) List<@From("ops") Op> ops,
                          @ForAll boolean onTmpfs) throws IOException {
        Path dir = onTmpfs && Files.isWritable(Path.of("/dev/shm")) ? Path.of("/dev/shm")
                : Path.of(System.getProperty("java.io.tmpdir"));
        Path f = Files.createTempFile(dir, "jnbdkit-model", ".img");
        try {
            try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
                raf.setLength(SIZE);
            }
            FilePlugin p = FilePluginTest.plugin(f.toString());
            Handle h = p.open(new OpenContext(false, "", false));
            try {
                run(h, ops);
            } finally {
                h.close();
            }
        } finally {
            Files.deleteIfExists(f);
        }
    }

    private static void run(Handle h, List<Op> ops) {
        byte[] model = new byte[SIZE];
        for (Op op : ops) {
            switch (op.kind) {
                case 0 -> {
                    byte[] d = new byte[op.length];
                    new Random(op.seed).nextBytes(d);
                    TestIo.write(h, op.offset, d, op.flags & Flags.FUA);
                    System.arraycopy(d, 0, model, op.offset, op.length);
                }
                case 1 -> {
                    h.trim(op.length, op.offset, op.flags & Flags.FUA);
                    Arrays.fill(model, op.offset, op.offset + op.length, (byte) 0);
                }
                case 2 -> {
                    h.zero(op.length, op.offset, op.flags);
                    Arrays.fill(model, op.offset, op.offset + op.length, (byte) 0);
                }
                default -> assertArrayEquals(Arrays.copyOfRange(model, op.offset, op.offset + op.length),
                        TestIo.read(h, op.offset, op.length));
            }
        }
        assertEquals(SIZE, h.getSize());
        assertArrayEquals(model, TestIo.read(h, 0, SIZE));
        List<E> ex = TestIo.extents(h, 0, SIZE, 0);
        assertEquals(0, ex.getFirst().offset());
        assertTrue(ex.getLast().offset() + ex.getLast().length() >= SIZE);
        for (E e : ex) {
            if ((e.type() & Extent.ZERO) == 0) continue;
            for (long i = e.offset(); i < Math.min(SIZE, e.offset() + e.length()); i++) {
                assertEquals(0, model[(int) i], "non-zero byte at " + i + " inside " + e);
            }
        }
    }
}
