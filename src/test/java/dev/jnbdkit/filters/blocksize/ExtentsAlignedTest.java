package dev.jnbdkit.filters.blocksize;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.jnbdkit.spi.BlockSize;
import dev.jnbdkit.spi.CacheMode;
import dev.jnbdkit.spi.Extent;
import dev.jnbdkit.spi.ExtentSink;
import dev.jnbdkit.spi.Extents;
import dev.jnbdkit.spi.FuaMode;
import dev.jnbdkit.spi.IoBuffer;
import dev.jnbdkit.spi.Next;
import dev.jnbdkit.spi.ZeroMode;
import java.util.List;
import org.junit.jupiter.api.Test;

class ExtentsAlignedTest {
    /** A next layer with fixed extents, answering at most {@code perCall} of them per call. */
    private record Fixed(List<long[]> extents, int perCall) implements Next {
        @Override public void extents(long count, long offset, int flags, ExtentSink sink) {
            int given = 0;
            for (long[] e : extents) {
                if (e[0] + e[1] <= offset) continue;
                if (e[0] >= offset + count || given == perCall) break;
                sink.add(e[0], e[1], (int) e[2]);
                given++;
            }
        }
        @Override public String exportName() { return ""; }
        @Override public long getSize() { return 1 << 20; }
        @Override public String exportDescription() { return null; }
        @Override public BlockSize blockSize() { return null; }
        @Override public boolean isRotational() { return false; }
        @Override public boolean canWrite() { return false; }
        @Override public boolean canFlush() { return false; }
        @Override public boolean canTrim() { return false; }
        @Override public ZeroMode canZero() { return ZeroMode.NONE; }
        @Override public boolean canFastZero() { return false; }
        @Override public boolean canExtents() { return true; }
        @Override public FuaMode canFua() { return FuaMode.NONE; }
        @Override public boolean canMultiConn() { return false; }
        @Override public CacheMode canCache() { return CacheMode.NONE; }
        @Override public void pread(IoBuffer buf, long offset, int flags) {}
        @Override public void pwrite(IoBuffer buf, long offset, int flags) {}
        @Override public void flush(int flags) {}
        @Override public void trim(long count, long offset, int flags) {}
        @Override public void zero(long count, long offset, int flags) {}
        @Override public void cache(long count, long offset, int flags) {}
        @Override public void prepareContext() {}
        @Override public void finalizeContext() {}
        @Override public void closeContext() {}
    }

    private static final int HOLE = Extent.HOLE | Extent.ZERO;

    private static String show(Extents e) {
        StringBuilder sb = new StringBuilder();
        for (Extents.Entry x : e.entries()) sb.append(x.offset()).append('+').append(x.length()).append(':').append(x.type()).append(' ');
        return sb.toString().strip();
    }

    @Test
    void aBlockThatIsPartDataIsData() {
        // hole 0..70000, data 70000..70001, hole after: with 64K blocks the second block is data.
        Fixed next = new Fixed(List.of(new long[] {0, 70000, HOLE}, new long[] {70000, 1, 0},
                new long[] {70001, (1 << 20) - 70001, HOLE}), 100);
        assertEquals("0+65536:3 65536+65536:0 131072+917504:3", show(Extents.aligned(next, 1 << 20, 0, 0, 65536)));
    }

    @Test
    void zeroAndHoleMakeZero() {
        Fixed next = new Fixed(List.of(new long[] {0, 1000, Extent.ZERO}, new long[] {1000, 3096, HOLE},
                new long[] {4096, (1 << 20) - 4096, 0}), 100);
        assertEquals("0+4096:2 4096+1044480:0", show(Extents.aligned(next, 1 << 20, 0, 0, 4096)));
    }

    @Test
    void asksAgainUntilTheLastBlockIsKnown() {
        // One extent per call: the unaligned end of the first needs more answers.
        Fixed next = new Fixed(List.of(new long[] {0, 100, 0}, new long[] {100, 200, HOLE},
                new long[] {300, (1 << 20) - 300, HOLE}), 1);
        assertEquals("0+512:0 512+1048064:3", show(Extents.aligned(next, 1 << 20, 0, 0, 512)));
    }

    @Test
    void alignedExtentsPassUnchanged() {
        Fixed next = new Fixed(List.of(new long[] {0, 4096, 0}, new long[] {4096, 8192, HOLE},
                new long[] {12288, (1 << 20) - 12288, 0}), 100);
        assertEquals("0+4096:0 4096+8192:3 12288+1036288:0", show(Extents.aligned(next, 1 << 20, 0, 0, 512)));
    }
}
