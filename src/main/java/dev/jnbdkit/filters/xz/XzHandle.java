package dev.jnbdkit.filters.xz;

import dev.jnbdkit.log.Log;
import dev.jnbdkit.spi.CacheMode;
import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.FilterHandle;
import dev.jnbdkit.spi.IoBuffer;
import dev.jnbdkit.spi.Next;
import dev.jnbdkit.spi.PluginException;

import java.lang.foreign.MemorySegment;
import java.util.Locale;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One connection of the xz filter: the xz file's index (read with liblzma when the connection is
 * prepared, see {@link XzIndex}) maps each uncompressed offset to its block; a read is served
 * from the connection's {@link BlockCache}, and a block missing from it is decoded whole by
 * liblzma (xz can only seek to block boundaries, see {@link BlockDecoder}) and its CRC or SHA-256
 * verified before any of it is served, as nbdkit does.
 */
final class XzHandle implements FilterHandle {
    /** The xz magic: 0xFD '7zXZ' 0x00. */
    private static final byte[] MAGIC = {(byte) 0xfd, '7', 'z', 'X', 'Z', 0};

    private final long maxBlock;
    private final int maxDepth;
    private final ReentrantLock lock = new ReentrantLock();
    private XzIndex index;
    private BlockCache cache;
    private BlockDecoder decoder;

    XzHandle(long maxBlock, int maxDepth) {
        this.maxBlock = maxBlock;
        this.maxDepth = maxDepth;
    }

    @Override
    public void prepare(Next next, boolean readonly) {
        long fileSize = next.getSize();
        if (fileSize < MAGIC.length) {
            Log.error("xz: file too short");
            throw new PluginException(Errno.EINVAL, "xz: not an xz file");
        }
        IoBuffer head = IoBuffer.allocate(MAGIC.length);
        next.pread(head, 0, 0);
        if (!head.segment().asSlice(0, MAGIC.length).asByteBuffer().equals(java.nio.ByteBuffer.wrap(MAGIC))) {
            throw new PluginException(Errno.EINVAL, "xz: not an xz file");
        }
        if ((fileSize & 3) != 0) throw new PluginException(Errno.EINVAL, "xz: not an xz file: size is not a multiple of 4 bytes");
        index = XzIndex.read(next, fileSize);
        long largest = index.largestBlock;
        Log.debug("xz: size " + index.size + " bytes (" + mib(index.size) + "M)");
        Log.debug("xz: " + index.streams + " streams, " + index.blocks + " blocks");
        Log.debug("xz: maximum uncompressed block size " + largest + " bytes (" + mib(largest) + "M)");
        if (maxBlock < largest) {
            throw new PluginException(Errno.EINVAL, "xz file largest block is bigger than maxblock\n"
                    + "Either recompress the xz file with smaller blocks (see nbdkit-xz-filter(1))\n"
                    + "or make maxblock parameter bigger.\n"
                    + "maxblock = " + maxBlock + " (bytes)\n"
                    + "largest block in xz file = " + largest + " (bytes)");
        }
        cache = new BlockCache(maxDepth, largest);
        decoder = new BlockDecoder(index.largestTotal);
    }

    @Override
    public void close() {
        lock.lock();
        try {
            if (cache == null) return;
            Log.debug("cache: hits = " + cache.hits + ", misses = " + cache.misses);
            decoder.close(); // lzma_end before the memory it wrote to goes
            cache.close();
            cache = null;
        } finally {
            lock.unlock();
        }
    }

    @Override public long getSize(Next next) { return index.size; }

    @Override
    public String exportDescription(Next next) {
        String base = next.exportDescription();
        return base == null ? null : "expansion of xz-compressed image: " + base;
    }

    @Override public boolean canWrite(Next next) { return false; }

    @Override public boolean canExtents(Next next) { return false; }

    @Override public CacheMode canCache(Next next) { return CacheMode.EMULATE; }

    @Override
    public void pread(Next next, IoBuffer buf, long offset, int flags) {
        lock.lock();
        try {
            MemorySegment dst = buf.segment();
            long done = 0, count = dst.byteSize();
            while (done < count) {
                long at = offset + done;
                int block = index.find(at);
                long start = index.start(block);
                long want = Math.min(count - done, start + index.size(block) - at);
                BlockCache.Slot s = cache.find(block);
                if (s == null) s = decode(next, block);
                MemorySegment.copy(s.memory, at - start, dst, done, want);
                done += want;
            }
        } finally {
            lock.unlock();
        }
    }

    /** Decodes all of {@code block} into a cache slot (its check is verified as its end is reached). */
    private BlockCache.Slot decode(Next next, int block) {
        BlockCache.Slot s = cache.claim(block);
        try {
            decoder.decode(next, index, block, s.memory);
            return s;
        } catch (BlockDecoder.Damaged e) {
            cache.drop(s);
            throw new PluginException(Errno.EIO, "xz: could not decompress block " + block + " (uncompressed offset "
                    + index.start(block) + "): " + e.getMessage());
        } catch (RuntimeException e) { // the next layer's failed read, with its errno
            cache.drop(s);
            throw e;
        }
    }

    private static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.1f", bytes / 1048576.0);
    }
}
