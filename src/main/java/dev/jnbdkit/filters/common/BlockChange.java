package dev.jnbdkit.filters.common;

/**
 * A change of a byte range of a disk cut into blocks, for the filters that keep blocks (cow's
 * overlay, the cache): the range is cut where its blocks are, so that a block it covers only in
 * part (its head, its tail) is changed by itself and the whole blocks between in one go. The
 * caller holds the blocks' locks. A class to extend, not a callback: each request allocates one
 * object, which the request path's C1-compiled code allocates inline.
 */
public abstract class BlockChange {
    /** Changes the disk's [from, to) of block b, which the range covers only in part. */
    protected abstract void partial(long b, long from, long to);

    /** Changes the whole blocks [first, end), the disk's [wholeFrom, wholeTo). */
    protected abstract void whole(long wholeFrom, long wholeTo, long first, long end);

    /**
     * Applies the change to [offset, offset+count) (count > 0) of a disk of {@code size} bytes
     * in blocks of {@code blockSize}, the last block stopping at the end of the disk.
     */
    public final void apply(long offset, long count, long blockSize, long size) {
        long end = offset + count;
        long b = offset / blockSize, wholeEnd = Math.ceilDiv(end, blockSize);
        if (offset > b * blockSize || end < blockEnd(b, blockSize, size)) { // partial head
            partial(b, offset, Math.min(end, blockEnd(b, blockSize, size)));
            b++;
        }
        if (wholeEnd > b && end < blockEnd(wholeEnd - 1, blockSize, size)) { // partial tail
            partial(wholeEnd - 1, (wholeEnd - 1) * blockSize, end);
            wholeEnd--;
        }
        if (wholeEnd > b) whole(b * blockSize, blockEnd(wholeEnd - 1, blockSize, size), b, wholeEnd);
    }

    private static long blockEnd(long b, long blockSize, long size) {
        return Math.min((b + 1) * blockSize, size);
    }
}
