package dev.jnbdkit.filters.xz;

import dev.jnbdkit.log.Log;
import dev.jnbdkit.spi.CacheMode;
import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.FilterHandle;
import dev.jnbdkit.spi.IoBuffer;
import dev.jnbdkit.spi.Next;
import dev.jnbdkit.spi.PluginException;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Locale;
import java.util.concurrent.locks.ReentrantLock;

import org.tukaani.xz.BasicArrayCache;
import org.tukaani.xz.SeekableXZInputStream;

/**
 * One connection of the xz filter: the xz file's index (read by Tukaani's
 * {@link SeekableXZInputStream} when the connection is prepared) maps each uncompressed offset to
 * its block; a read is served from the connection's {@link BlockCache}, and a block missing from
 * it is decoded whole (xz can only seek to block boundaries) and checked against its CRC or
 * SHA-256 before any of it is served, as nbdkit does.
 */
final class XzHandle implements FilterHandle {
    /** The xz magic: 0xFD '7zXZ' 0x00. */
    private static final byte[] MAGIC = {(byte) 0xfd, '7', 'z', 'X', 'Z', 0};
    /** The decoder's output goes to a cache slot through a heap buffer this large. */
    private static final int STEP = 128 * 1024;

    private final long maxBlock;
    private final int maxDepth;
    private final ReentrantLock lock = new ReentrantLock();
    private NextInputStream file;
    private SeekableXZInputStream xz;
    private BlockCache cache;
    private long diskSize;
    private final byte[] stage = new byte[STEP];

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
        file = new NextInputStream(next, fileSize);
        xz = open(file);
        long largest = xz.getLargestBlockSize();
        diskSize = xz.length();
        Log.debug("xz: size " + xz.length() + " bytes (" + mib(xz.length()) + "M)");
        Log.debug("xz: " + xz.getStreamCount() + " streams, " + xz.getBlockCount() + " blocks");
        Log.debug("xz: maximum uncompressed block size " + largest + " bytes (" + mib(largest) + "M)");
        if (maxBlock < largest) {
            throw new PluginException(Errno.EINVAL, "xz file largest block is bigger than maxblock\n"
                    + "Either recompress the xz file with smaller blocks (see nbdkit-xz-filter(1))\n"
                    + "or make maxblock parameter bigger.\n"
                    + "maxblock = " + maxBlock + " (bytes)\n"
                    + "largest block in xz file = " + largest + " (bytes)");
        }
        cache = new BlockCache(maxDepth, largest);
    }

    /** Reads the index (and checks the stream headers and footers) of the xz file. */
    private static SeekableXZInputStream open(NextInputStream file) {
        try {
            return new SeekableXZInputStream(file, -1, true, BasicArrayCache.getInstance());
        } catch (NextInputStream.NextReadFailed e) {
            throw e.failure;
        } catch (IOException | RuntimeException e) {
            throw new PluginException(Errno.EINVAL, "xz: cannot read the xz index: " + describe(e));
        }
    }

    @Override
    public void close() {
        if (cache == null) return;
        Log.debug("cache: hits = " + cache.hits + ", misses = " + cache.misses);
        cache.close();
        cache = null;
    }

    @Override public long getSize(Next next) { return diskSize; }

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
            file.use(next);
            if (xz == null) xz = open(file);
            MemorySegment dst = buf.segment();
            long done = 0, count = dst.byteSize();
            while (done < count) {
                long at = offset + done;
                int block = xz.getBlockNumber(at);
                long start = xz.getBlockPos(block), size = xz.getBlockSize(block);
                long want = Math.min(count - done, start + size - at);
                BlockCache.Slot s = cache.find(block);
                if (s == null) s = decode(block, start, size);
                MemorySegment.copy(s.memory, at - start, dst, done, want);
                done += want;
            }
        } finally {
            lock.unlock();
        }
    }

    /** Decodes all of {@code block} into a cache slot (its check is verified as its end is reached). */
    private BlockCache.Slot decode(int block, long start, long size) {
        BlockCache.Slot s = cache.claim(block);
        try {
            xz.seekToBlock(block);
            long decoded = 0;
            while (decoded < size) {
                int n = xz.read(stage, 0, (int) Math.min(stage.length, size - decoded));
                if (n < 0) throw new IOException("the block ends before its size in the index (" + size + " bytes)");
                MemorySegment.copy(stage, 0, s.memory, ValueLayout.JAVA_BYTE, decoded, n);
                decoded += n;
            }
            return s;
        } catch (NextInputStream.NextReadFailed e) {
            failed(s);
            throw e.failure;
        } catch (IOException | RuntimeException e) {
            failed(s);
            throw new PluginException(Errno.EIO, "xz: could not decompress block " + block + " (uncompressed offset "
                    + start + "): " + describe(e));
        }
    }

    /**
     * A block could not be decoded: its slot is emptied, and the decoder dropped (it would throw
     * the same exception for every later read) and made again, from the index, by the next read.
     */
    private void failed(BlockCache.Slot s) {
        cache.drop(s);
        try {
            xz.close(false);
        } catch (IOException ignored) {
            // nothing of ours to release: the next layer stays open
        }
        xz = null;
    }

    private static String describe(Exception e) {
        String m = e.getMessage();
        return m == null ? e.getClass().getSimpleName() : m;
    }

    private static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.1f", bytes / 1048576.0);
    }
}
