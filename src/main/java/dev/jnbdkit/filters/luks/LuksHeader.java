package dev.jnbdkit.filters.luks;

import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.PluginException;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The LUKSv1 partition header (the first 592 bytes of the disk, big-endian): magic, version,
 * cipher strings, payload offset, master key length and digest, UUID and 8 key slots. Parsing
 * checks what nbdkit checks, in its order and with its messages, so a corrupt header is refused
 * at the connection's start and never drives a read outside the disk.
 *
 * @param payloadOffset where the encrypted data starts, in 512-byte sectors
 * @param raw           the header's bytes as read (what the unlock memo is keyed on)
 */
record LuksHeader(int version, String cipherName, String cipherMode, String hashSpec, long payloadOffset,
                  int keyBytes, byte[] keyDigest, byte[] keyDigestSalt, long keyDigestIterations, String uuid,
                  List<KeySlot> slots, byte[] raw) {
    static final int SIZE = 592;
    /** nbdkit refuses smaller disks before reading anything. */
    static final long MIN_DISK = 16384;
    static final int DIGEST_SIZE = 20;
    static final int SALT_SIZE = 32;
    static final long KEY_ENABLED = 0x00AC71F3L;
    static final long KEY_DISABLED = 0x0000DEADL;
    private static final byte[] MAGIC = {'L', 'U', 'K', 'S', (byte) 0xBA, (byte) 0xBE};

    /**
     * One key slot.
     *
     * @param materialOffset first sector of its key material
     * @param stripes        number of anti-forensic stripes
     */
    record KeySlot(int index, long active, long iterations, byte[] salt, long materialOffset, long stripes) {
        boolean enabled() { return active == KEY_ENABLED; }

        /** Bytes of split key material for a master key of {@code keyBytes}. */
        long materialBytes(int keyBytes) { return keyBytes * stripes; }

        /** Whole sectors holding the key material (what is read and decrypted). */
        long materialSectors(int keyBytes) { return (materialBytes(keyBytes) + 511) / 512; }

        /** The key material area as LUKS lays it out: rounded up to 4096-byte alignment. */
        long materialAreaSectors(int keyBytes) { return (materialSectors(keyBytes) + 7) / 8 * 8; }
    }

    /** The header in {@code b} (at least {@link #SIZE} bytes) of a disk of {@code diskSize} bytes, or nbdkit's error. */
    static LuksHeader parse(byte[] b, long diskSize) {
        for (int i = 0; i < MAGIC.length; i++) {
            if (b[i] != MAGIC[i]) throw fail("this disk does not contain a LUKS header");
        }
        ByteBuffer bb = ByteBuffer.wrap(b); // big-endian
        int version = Short.toUnsignedInt(bb.getShort(6));
        if (version != 1) {
            throw fail("this disk contains a LUKS version " + version + " header, but this filter only supports LUKSv1");
        }
        long payload = Integer.toUnsignedLong(bb.getInt(104));
        long keyBytes = Integer.toUnsignedLong(bb.getInt(108));
        if (payload >= diskSize / 512) throw fail("bad LUKSv1 header: payload offset points beyond the end of the disk");
        if (keyBytes > 1024) throw fail("bad LUKSv1 header: master key is too long");
        List<KeySlot> slots = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            int at = 208 + 48 * i;
            KeySlot ks = new KeySlot(i, Integer.toUnsignedLong(bb.getInt(at)), Integer.toUnsignedLong(bb.getInt(at + 4)),
                    slice(b, at + 8, SALT_SIZE), Integer.toUnsignedLong(bb.getInt(at + 40)),
                    Integer.toUnsignedLong(bb.getInt(at + 44)));
            if (ks.active() == KEY_ENABLED) {
                if (ks.stripes() == 0) throw fail("bad LUKSv1 header: key slot " + i + " is corrupted");
                if (ks.stripes() >= 10000) throw fail("bad LUKSv1 header: key slot " + i + " stripes too large");
                long len = ks.materialAreaSectors((int) keyBytes);
                if (len > 4096) throw fail("bad LUKSv1 header: key slot " + i + " key material length is too large");
                long start = ks.materialOffset();
                if (start * 512 >= diskSize || (start + len) * 512 >= diskSize) {
                    throw fail("bad LUKSv1 header: key slot " + i + " key material offset points beyond the end of the disk");
                }
            } else if (ks.active() != KEY_DISABLED) {
                throw fail("bad LUKSv1 header: key slot " + i + " has an invalid active flag");
            }
            slots.add(ks);
        }
        return new LuksHeader(version, text(b, 8), text(b, 40), text(b, 72), payload, (int) keyBytes,
                slice(b, 112, DIGEST_SIZE), slice(b, 132, SALT_SIZE), Integer.toUnsignedLong(bb.getInt(164)),
                text(b, 168, 40), List.copyOf(slots), slice(b, 0, SIZE));
    }

    /** A NUL-terminated string field of 32 bytes. */
    private static String text(byte[] b, int at) { return text(b, at, 32); }

    private static String text(byte[] b, int at, int max) {
        int end = at;
        while (end < at + max && b[end] != 0) end++;
        return new String(b, at, end - at, StandardCharsets.ISO_8859_1);
    }

    private static byte[] slice(byte[] b, int at, int len) { return java.util.Arrays.copyOfRange(b, at, at + len); }

    private static PluginException fail(String message) { return new PluginException(Errno.EIO, message); }
}
