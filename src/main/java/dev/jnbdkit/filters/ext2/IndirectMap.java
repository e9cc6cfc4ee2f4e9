package dev.jnbdkit.filters.ext2;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.function.LongFunction;

/**
 * The classic ext2/ext3 block map: i_block holds 12 direct block pointers, then one indirect,
 * one double-indirect and one triple-indirect pointer; an indirect block holds
 * {@code blockSize / 4} pointers. A zero pointer is a hole (at any level: a whole subtree).
 */
final class IndirectMap implements BlockMap {
    static final int DIRECT = 12;

    private final long[] iBlock = new long[15];
    private final LongFunction<ByteBuffer> block;
    private final long perBlock;
    private final long firstDataBlock;
    private final long blocksCount;

    IndirectMap(byte[] iBlockBytes, LongFunction<ByteBuffer> block, int blockSize, long firstDataBlock, long blocksCount) {
        ByteBuffer b = ByteBuffer.wrap(iBlockBytes).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 15; i++) iBlock[i] = Integer.toUnsignedLong(b.getInt(i * 4));
        this.block = block;
        this.perBlock = blockSize / 4;
        this.firstDataBlock = firstDataBlock;
        this.blocksCount = blocksCount;
    }

    @Override
    public Run find(long logical) {
        if (logical < DIRECT) return runIn(iBlock, DIRECT, (int) logical, logical);
        long rel = logical - DIRECT;
        // the three trees: levels of indirection, span of logical blocks, the library's error
        long span = perBlock;
        Ext2Error[] errors = {Ext2Error.BAD_IND_BLOCK, Ext2Error.BAD_DIND_BLOCK, Ext2Error.BAD_TIND_BLOCK};
        for (int level = 1; level <= 3; level++) {
            if (rel < span) return descend(iBlock[DIRECT + level - 1], level, rel, span, logical, errors[level - 1]);
            rel -= span;
            span *= perBlock;
        }
        return new Run(logical, Math.max(1, LOGICAL_LIMIT - logical), 0, false);
    }

    /** Within the subtree at {@code pointer} ({@code level} levels of indirection, {@code span} blocks), block {@code rel}. */
    private Run descend(long pointer, int level, long rel, long span, long logical, Ext2Error error) {
        while (true) {
            if (pointer == 0) return new Run(logical, span - rel, 0, false);
            if (pointer < firstDataBlock || pointer >= blocksCount) throw new Ext2Exception(error);
            ByteBuffer b = block.apply(pointer).duplicate().order(ByteOrder.LITTLE_ENDIAN);
            long childSpan = span / perBlock;
            int index = (int) (rel / childSpan);
            if (level == 1) return runIn(b, index, logical);
            pointer = Integer.toUnsignedLong(b.getInt(index * 4));
            rel %= childSpan;
            span = childSpan;
            level--;
        }
    }

    private Run runIn(ByteBuffer pointers, int index, long logical) {
        long[] p = new long[(int) perBlock];
        for (int i = 0; i < p.length; i++) p[i] = Integer.toUnsignedLong(pointers.getInt(i * 4));
        return runIn(p, p.length, index, logical);
    }

    /** The run that starts at {@code pointers[index]}: consecutive blocks, or zeros, up to {@code limit}. */
    private Run runIn(long[] pointers, int limit, int index, long logical) {
        long first = pointers[index];
        int end = index + 1;
        while (end < limit && (first == 0 ? pointers[end] == 0 : pointers[end] == first + (end - index))) end++;
        if (first != 0 && (first < firstDataBlock || first + (end - index) > blocksCount)) {
            throw new Ext2Exception(Ext2Error.BAD_BLOCK_NUM);
        }
        return new Run(logical, end - index, first, false);
    }
}
