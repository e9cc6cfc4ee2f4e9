package dev.jnbdkit.filters.luks;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Random;

/**
 * A LUKSv1 disk made in memory for the unit tests, laid out as the specification says (header,
 * key material from sector 8 in 4096-byte aligned areas, then the payload), with one key slot
 * opened by a passphrase. The real thing (cryptsetup's images) is in LuksFilterIT; this one lets
 * the tests change any field.
 */
final class LuksImage {
    final byte[] disk;
    final byte[] masterKey;
    final byte[] plain;
    final long payloadOffset;
    final CipherSpec spec;

    private LuksImage(byte[] disk, byte[] masterKey, byte[] plain, long payloadOffset, CipherSpec spec) {
        this.disk = disk;
        this.masterKey = masterKey;
        this.plain = plain;
        this.payloadOffset = payloadOffset;
        this.spec = spec;
    }

    static LuksImage format(String cipherMode, String hashSpec, int keyBytes, String passphrase, int slot,
                            int iterations, int stripes, int payloadBytes, long seed) {
        Random r = new Random(seed);
        CipherSpec spec = CipherSpec.parse("aes", cipherMode, hashSpec, keyBytes);
        LuksHash hash = spec.hash();
        byte[] masterKey = new byte[keyBytes];
        r.nextBytes(masterKey);
        LuksHeader.KeySlot shape = new LuksHeader.KeySlot(slot, LuksHeader.KEY_ENABLED, iterations, null, 0, stripes);
        long area = shape.materialAreaSectors(keyBytes);
        long payloadOffset = 8 + 8 * area;
        byte[] disk = new byte[(int) (payloadOffset * 512 + payloadBytes)];
        ByteBuffer h = ByteBuffer.wrap(disk);
        h.put(new byte[] {'L', 'U', 'K', 'S', (byte) 0xBA, (byte) 0xBE}).putShort((short) 1);
        put(h, 8, "aes");
        put(h, 40, cipherMode);
        put(h, 72, hashSpec);
        h.putInt(104, (int) payloadOffset).putInt(108, keyBytes);
        byte[] mkSalt = new byte[32];
        r.nextBytes(mkSalt);
        System.arraycopy(Pbkdf2.derive(hash, masterKey, mkSalt, 1000, 20), 0, disk, 112, 20);
        System.arraycopy(mkSalt, 0, disk, 132, 32);
        h.putInt(164, 1000);
        put(h, 168, "01234567-89ab-cdef-0123-456789abcdef");
        for (int i = 0; i < 8; i++) {
            int at = 208 + 48 * i;
            long material = 8 + area * i;
            h.putInt(at, (int) (i == slot ? LuksHeader.KEY_ENABLED : LuksHeader.KEY_DISABLED));
            h.putInt(at + 40, (int) material).putInt(at + 44, stripes);
            if (i != slot) continue;
            h.putInt(at + 4, iterations);
            byte[] salt = new byte[32];
            r.nextBytes(salt);
            System.arraycopy(salt, 0, disk, at + 8, 32);
            byte[] slotKey = Pbkdf2.derive(hash, passphrase.getBytes(StandardCharsets.UTF_8), salt, iterations, keyBytes);
            byte[] split = AntiForensicTest.split(hash, masterKey, stripes, r);
            int len = (int) (shape.materialSectors(keyBytes) * 512);
            byte[] padded = java.util.Arrays.copyOf(split, len);
            spec.newCipher(slotKey).crypt(true, padded, 0, disk, (int) (material * 512), len, 0);
        }
        byte[] plain = new byte[payloadBytes];
        r.nextBytes(plain);
        spec.newCipher(masterKey).crypt(true, plain.clone(), 0, disk, (int) (payloadOffset * 512), payloadBytes, 0);
        return new LuksImage(disk, masterKey, plain, payloadOffset, spec);
    }

    private static void put(ByteBuffer h, int at, String s) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        h.put(at, b);
    }
}
