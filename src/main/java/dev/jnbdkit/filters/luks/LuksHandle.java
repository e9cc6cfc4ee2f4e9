package dev.jnbdkit.filters.luks;

import dev.jnbdkit.log.Log;
import dev.jnbdkit.spi.BlockSize;
import dev.jnbdkit.spi.CacheMode;
import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.FilterHandle;
import dev.jnbdkit.spi.IoBuffer;
import dev.jnbdkit.spi.Next;
import dev.jnbdkit.spi.PluginException;
import dev.jnbdkit.spi.ZeroMode;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.Lock;

/**
 * One connection through the luks filter. {@link #prepare} reads and checks the header and
 * unlocks the master key (a failure fails the connection, as in nbdkit); then the client sees
 * the payload only (the size less the payload offset), decrypted on read and encrypted on write,
 * sector by sector with each sector's number from the start of the payload.
 *
 * <p>Reads decrypt in place in the client's buffer: one read of the next layer for the whole
 * aligned part of a request, plus one per partial sector at either end. Writes encrypt into the
 * request's own {@link Crypter}'s buffer, a piece at a time; a partial sector is read, decrypted,
 * patched, encrypted and written back under that sector's lock. As nbdkit: no extents, trim or
 * fast zero; zero and cache are left to the server (writes of zeros, reads); the minimum block size
 * is at least 512. Requests run in parallel: each takes a Crypter of its own from the pool.
 */
final class LuksHandle implements FilterHandle {
    private static final int SECTOR = SectorCipher.SECTOR;

    private final LuksFilter filter;
    private final ConcurrentLinkedQueue<Crypter> pool = new ConcurrentLinkedQueue<>();
    private CipherSpec spec;
    private byte[] masterKey;
    /** Byte offset of the payload in the next layer. */
    private long payload;

    LuksHandle(LuksFilter filter) { this.filter = filter; }

    @Override
    public void prepare(Next next, boolean readonly) {
        long size = next.getSize();
        if (size < LuksHeader.MIN_DISK) throw new PluginException(Errno.EIO, "disk is too small to be LUKS-encrypted");
        IoBuffer hb = IoBuffer.allocate(LuksHeader.SIZE);
        next.pread(hb, 0, 0);
        LuksHeader header = LuksHeader.parse(hb.segment().toArray(ValueLayout.JAVA_BYTE), size);
        Log.debug("LUKS v" + header.version() + " cipher: " + header.cipherName() + " mode: " + header.cipherMode()
                + " hash: " + header.hashSpec() + " master key: " + header.keyBytes() * 8 + " bits");
        spec = CipherSpec.parse(header.cipherName(), header.cipherMode(), header.hashSpec(), header.keyBytes());
        Log.debug("LUKS UUID: " + header.uuid());
        for (LuksHeader.KeySlot ks : header.slots()) {
            if (!ks.enabled()) continue;
            long len = ks.materialAreaSectors(header.keyBytes());
            Log.debug("LUKS key slot " + ks.index() + ": key material in sectors " + ks.materialOffset() + ".."
                    + (ks.materialOffset() + len - 1));
        }
        masterKey = filter.keySlots().unlock(next, header, spec);
        payload = header.payloadOffset() * SECTOR;
    }

    @Override
    public void close() {
        if (masterKey != null) java.util.Arrays.fill(masterKey, (byte) 0);
        pool.clear();
    }

    @Override
    public long getSize(Next next) {
        long size = next.getSize();
        if (size < payload) throw new PluginException(Errno.EIO, "disk too small, or contains an incomplete LUKS partition");
        return size - payload;
    }

    @Override public boolean canExtents(Next next) { return false; }

    @Override public boolean canTrim(Next next) { return false; }

    @Override public ZeroMode canZero(Next next) { return ZeroMode.EMULATE; }

    @Override public boolean canFastZero(Next next) { return false; }

    @Override public CacheMode canCache(Next next) { return CacheMode.EMULATE; }

    /** At least sector-sized blocks are preferred, although any request works. */
    @Override
    public BlockSize blockSize(Next next) {
        BlockSize b = next.blockSize();
        if (b == null || b.minimum() == 0) return new BlockSize(SECTOR, SECTOR, 0xffffffffL);
        long min = Math.max(b.minimum(), SECTOR);
        return new BlockSize(min, Math.max(min, Math.max(b.preferred(), SECTOR)), b.maximum());
    }

    @Override
    public void pread(Next next, IoBuffer buf, long offset, int flags) {
        Crypter c = take();
        try {
            MemorySegment dst = buf.segment();
            long len = buf.length(), pos = 0, sector = offset / SECTOR;
            int head = (int) (offset % SECTOR);
            if (head != 0) {
                int n = (int) Math.min(SECTOR - head, len);
                MemorySegment s = readSector(next, c, sector);
                MemorySegment.copy(s, head, dst, 0, n);
                pos += n;
                sector++;
            }
            long body = (len - pos) / SECTOR * SECTOR;
            if (body > 0) {
                next.pread(buf.slice(pos, body), payload + sector * SECTOR, flags);
                c.decrypt(dst, pos, body, sector);
                pos += body;
                sector += body / SECTOR;
            }
            if (pos < len) {
                MemorySegment s = readSector(next, c, sector);
                MemorySegment.copy(s, 0, dst, pos, len - pos);
            }
        } finally {
            pool.offer(c);
        }
    }

    @Override
    public void pwrite(Next next, IoBuffer buf, long offset, int flags) {
        Crypter c = take();
        try {
            MemorySegment src = buf.segment();
            long len = buf.length(), pos = 0, sector = offset / SECTOR;
            int head = (int) (offset % SECTOR);
            if (head != 0) {
                int n = (int) Math.min(SECTOR - head, len);
                patchSector(next, c, sector, head, src, 0, n, flags);
                pos += n;
                sector++;
            }
            MemorySegment scratch = c.scratch.segment();
            while (len - pos >= SECTOR) {
                long n = Math.min(Crypter.WRITE_PIECE, (len - pos) / SECTOR * SECTOR);
                c.encrypt(src, pos, scratch, 0, n, sector);
                next.pwrite(c.scratch.slice(0, n), payload + sector * SECTOR, flags);
                pos += n;
                sector += n / SECTOR;
            }
            if (pos < len) patchSector(next, c, sector, 0, src, pos, (int) (len - pos), flags);
        } finally {
            pool.offer(c);
        }
    }

    /** Sector {@code sector} of the payload, decrypted, in the first 512 bytes of the Crypter's buffer. */
    private MemorySegment readSector(Next next, Crypter c, long sector) {
        IoBuffer one = c.scratch.slice(0, SECTOR);
        next.pread(one, payload + sector * SECTOR, 0);
        c.decrypt(one.segment(), 0, SECTOR, sector);
        return one.segment();
    }

    /** Read-modify-write of part of one sector, under the sector's lock. */
    private void patchSector(Next next, Crypter c, long sector, int at, MemorySegment src, long srcOff, int n, int flags) {
        Lock lock = filter.sectorLock(sector);
        lock.lock();
        try {
            MemorySegment s = readSector(next, c, sector);
            MemorySegment.copy(src, srcOff, s, at, n);
            c.encrypt(s, 0, s, 0, SECTOR, sector);
            next.pwrite(c.scratch.slice(0, SECTOR), payload + sector * SECTOR, flags);
        } finally {
            lock.unlock();
        }
    }

    private Crypter take() {
        Crypter c = pool.poll();
        if (c != null) return c;
        if (masterKey == null) throw new PluginException(Errno.EIO, "luks: the disk was not unlocked");
        return new Crypter(spec.newCipher(masterKey));
    }
}
