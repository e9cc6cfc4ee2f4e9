package dev.jnbdkit.filters.luks;

import dev.jnbdkit.spi.IoBuffer;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * One thread's tools for a request: a {@link SectorCipher} with the master key, two heap chunks
 * the cipher works between (the JDK's ciphers work on arrays), and a native buffer that encrypted
 * writes are assembled in (the client's buffer is never changed). Handles keep a pool of them, so a
 * request takes one, uses it alone, and gives it back.
 */
final class Crypter {
    /** Bytes the cipher handles at once (fits the CPU's caches). */
    static final int CHUNK = 64 * 1024;
    /** Bytes of one write passed to the next layer. */
    static final int WRITE_PIECE = 256 * 1024;

    private final SectorCipher cipher;
    private final byte[] in = new byte[CHUNK];
    private final byte[] out = new byte[CHUNK];
    final IoBuffer scratch = IoBuffer.allocate(WRITE_PIECE);

    Crypter(SectorCipher cipher) { this.cipher = cipher; }

    /** Decrypts {@code len} bytes (whole sectors) of {@code seg} at {@code off} in place; the first is sector {@code sector}. */
    void decrypt(MemorySegment seg, long off, long len, long sector) {
        crypt(false, seg, off, seg, off, len, sector);
    }

    /** Encrypts {@code len} bytes (whole sectors) of {@code src} at {@code srcOff} into {@code dst} at {@code dstOff}. */
    void encrypt(MemorySegment src, long srcOff, MemorySegment dst, long dstOff, long len, long sector) {
        crypt(true, src, srcOff, dst, dstOff, len, sector);
    }

    private void crypt(boolean encrypt, MemorySegment src, long srcOff, MemorySegment dst, long dstOff, long len, long sector) {
        for (long done = 0; done < len; ) {
            int n = (int) Math.min(CHUNK, len - done);
            MemorySegment.copy(src, ValueLayout.JAVA_BYTE, srcOff + done, in, 0, n);
            cipher.crypt(encrypt, in, 0, out, 0, n, sector);
            MemorySegment.copy(out, 0, dst, ValueLayout.JAVA_BYTE, dstOff + done, n);
            done += n;
            sector += n / SectorCipher.SECTOR;
        }
    }
}
