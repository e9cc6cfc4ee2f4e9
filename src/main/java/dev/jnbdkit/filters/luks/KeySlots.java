package dev.jnbdkit.filters.luks;

import dev.jnbdkit.log.Log;
import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.IoBuffer;
import dev.jnbdkit.spi.Next;
import dev.jnbdkit.spi.PluginException;

import java.lang.foreign.ValueLayout;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Turns the passphrase into the master key: for each enabled key slot in turn, PBKDF2 of the
 * passphrase with the slot's salt and iterations gives the slot key; that decrypts the slot's key
 * material (sectors counted from 0); the anti-forensic merge of the material is a candidate master
 * key, right if its PBKDF2 digest with the header's salt and iterations is the header's digest.
 *
 * <p>nbdkit does all of this on every connection, and PBKDF2 is made to be slow (cryptsetup
 * picks iterations worth a second or two). The result is a pure function of the passphrase (fixed
 * for the server's life), the header and the slot's key material, so it is remembered: a later
 * connection that reads the same header and the same key material for the slot that opened
 * reuses the key without deriving anything. A changed header or slot goes the whole way again.
 */
final class KeySlots {
    private final byte[] passphrase;
    /** Hex SHA-256 of a header → the slot it was opened with, that slot's material digest, and the key. */
    private final ConcurrentHashMap<String, Opened> opened = new ConcurrentHashMap<>();

    private record Opened(int slot, byte[] materialDigest, byte[] masterKey) {}

    /** {@code passphrase}: its bytes up to the first NUL (nbdkit passes it on as a C string). */
    KeySlots(byte[] passphrase) {
        int n = 0;
        while (n < passphrase.length && passphrase[n] != 0) n++;
        this.passphrase = java.util.Arrays.copyOf(passphrase, n);
    }

    /** The master key of the disk behind {@code next}, or nbdkit's error for a wrong passphrase. */
    byte[] unlock(Next next, LuksHeader header, CipherSpec spec) {
        String id = HexFormat.of().formatHex(sha256(header.raw()));
        Opened memo = opened.get(id);
        if (memo != null) {
            byte[] material = readMaterial(next, header, header.slots().get(memo.slot()));
            if (MessageDigest.isEqual(sha256(material), memo.materialDigest())) {
                Log.debug("LUKS key slot " + memo.slot() + " unlocked as before (same header and key material)");
                return memo.masterKey().clone();
            }
        }
        for (LuksHeader.KeySlot ks : header.slots()) {
            if (!ks.enabled()) continue;
            byte[] material = readMaterial(next, header, ks);
            byte[] key = tryKeySlot(header, spec, ks, material);
            if (key != null) {
                opened.put(id, new Opened(ks.index(), sha256(material), key.clone()));
                Log.debug("LUKS unlocked block device with passphrase");
                return key;
            }
        }
        throw new PluginException(Errno.EIO, "LUKS passphrase is not correct, no key slot could be unlocked");
    }

    /** The master key if the passphrase opens slot {@code ks}, else null. */
    byte[] tryKeySlot(LuksHeader header, CipherSpec spec, LuksHeader.KeySlot ks, byte[] material) {
        int keyBytes = header.keyBytes();
        byte[] slotKey = Pbkdf2.derive(spec.hash(), passphrase, ks.salt(), ks.iterations(), keyBytes);
        byte[] plain = new byte[material.length];
        spec.newCipher(slotKey).crypt(false, material.clone(), 0, plain, 0, material.length, 0);
        java.util.Arrays.fill(slotKey, (byte) 0);
        byte[] candidate = AntiForensic.merge(spec.hash(), plain, keyBytes, (int) ks.stripes());
        java.util.Arrays.fill(plain, (byte) 0);
        byte[] digest = Pbkdf2.derive(spec.hash(), candidate, header.keyDigestSalt(), header.keyDigestIterations(),
                LuksHeader.DIGEST_SIZE);
        if (MessageDigest.isEqual(digest, header.keyDigest())) return candidate;
        java.util.Arrays.fill(candidate, (byte) 0);
        return null;
    }

    /**
     * The slot's key material, whole sectors (nbdkit decrypts only the whole sectors of
     * {@code keyBytes * stripes}, which loses the last stripes when that is not a multiple of 512,
     * as with a 192-bit key; cryptsetup, qemu and the kernel use every sector).
     */
    private static byte[] readMaterial(Next next, LuksHeader header, LuksHeader.KeySlot ks) {
        long sectors = ks.materialSectors(header.keyBytes());
        IoBuffer buf = IoBuffer.allocate(sectors * 512);
        next.pread(buf, ks.materialOffset() * 512, 0);
        return buf.segment().toArray(ValueLayout.JAVA_BYTE);
    }

    static byte[] sha256(byte[] b) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(b);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
