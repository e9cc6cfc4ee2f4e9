package dev.jnbdkit.filters.luks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.jnbdkit.filters.common.MemoryNext;
import dev.jnbdkit.spi.BlockSize;
import dev.jnbdkit.spi.IoBuffer;
import dev.jnbdkit.spi.PluginException;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * The filter over an image made in memory ({@link LuksImage}): it unlocks the slot, hides the
 * header, reads and writes at any offset and length, under parallel requests, and refuses a
 * wrong passphrase or a corrupt header with nbdkit's messages.
 */
class LuksHandleTest {
    private static LuksFilter filter(String passphrase) {
        LuksFilter f = new LuksFilter();
        f.config(null, "passphrase", passphrase);
        return f;
    }

    private static LuksHandle open(LuksFilter f, MemoryNext next) {
        LuksHandle h = new LuksHandle(f);
        h.prepare(next, false);
        return h;
    }

    private static byte[] read(LuksHandle h, MemoryNext next, long offset, int len) {
        IoBuffer b = IoBuffer.allocate(len);
        h.pread(next, b, offset, 0);
        return b.segment().toArray(ValueLayout.JAVA_BYTE);
    }

    private static void write(LuksHandle h, MemoryNext next, long offset, byte[] data) {
        IoBuffer b = IoBuffer.allocate(data.length);
        MemorySegment.copy(data, 0, b.segment(), ValueLayout.JAVA_BYTE, 0, data.length);
        h.pwrite(next, b, offset, 0);
    }

    private static byte[] range(byte[] b, long off, int len) { return java.util.Arrays.copyOfRange(b, (int) off, (int) off + len); }

    @Test
    void readsAndWritesEveryCipher() {
        String[][] specs = {
            {"xts-plain64", "sha256", "64"}, {"xts-plain64", "sha1", "32"}, {"xts-plain", "sha512", "48"},
            {"cbc-plain64", "sha256", "32"}, {"cbc-plain", "md5", "16"}, {"cbc-essiv:sha256", "sha256", "16"},
            {"cbc-essiv:sha256", "sha384", "24"}, {"xts-essiv:sha256", "ripemd160", "64"},
        };
        int n = 0;
        for (String[] s : specs) {
            LuksImage img = LuksImage.format(s[0], s[1], Integer.parseInt(s[2]), "secret", n % 8, 1000, 4000, 1 << 20, n);
            n++;
            MemoryNext next = new MemoryNext(img.disk, true);
            LuksFilter f = filter("secret");
            LuksHandle h = open(f, next);
            String what = String.join(" ", s);
            assertEquals(1 << 20, h.getSize(next), what);
            byte[] model = img.plain.clone();
            assertArrayEquals(model, read(h, next, 0, model.length), what);
            Random r = new Random(n);
            for (int i = 0; i < 200; i++) {
                int len = 1 + r.nextInt(i % 10 == 0 ? 300_000 : 3000);
                long off = r.nextInt(model.length - len + 1);
                if (r.nextBoolean()) {
                    byte[] data = new byte[len];
                    r.nextBytes(data);
                    write(h, next, off, data);
                    System.arraycopy(data, 0, model, (int) off, len);
                } else {
                    assertArrayEquals(range(model, off, len), read(h, next, off, len), what + " read " + len + " at " + off);
                }
            }
            // What is on the disk is the model encrypted with the master key, and the header is untouched.
            byte[] want = new byte[model.length];
            img.spec.newCipher(img.masterKey).crypt(true, model.clone(), 0, want, 0, model.length, 0);
            assertArrayEquals(want, range(next.bytes, img.payloadOffset * 512, model.length), what + " on disk");
            // A new connection (the unlock remembered) reads the same.
            assertArrayEquals(model, read(open(f, next), next, 0, model.length), what + " second connection");
        }
    }

    @Test
    void parallelWritesOfPartialSectors() throws Exception {
        LuksImage img = LuksImage.format("xts-plain64", "sha256", 64, "pw", 0, 1000, 4000, 1 << 16, 1);
        MemoryNext next = new MemoryNext(img.disk, true);
        LuksHandle h = open(filter("pw"), next);
        byte[] model = img.plain.clone();
        // 8 threads each write their own bytes of every sector: only the sector locks keep
        // the read-modify-writes of the same sector from losing each other's bytes.
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<Future<?>> done = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            int thread = t;
            done.add(pool.submit(() -> {
                for (int s = 0; s < model.length / 512; s++) {
                    byte[] data = new byte[64];
                    java.util.Arrays.fill(data, (byte) (thread + 1));
                    write(h, next, s * 512L + thread * 64, data);
                }
            }));
            for (int s = 0; s < model.length / 512; s++) java.util.Arrays.fill(model, s * 512 + t * 64, s * 512 + t * 64 + 64, (byte) (t + 1));
        }
        for (Future<?> d : done) d.get();
        pool.shutdown();
        assertArrayEquals(model, read(h, next, 0, model.length));
    }

    @Test
    void wrongPassphrase() {
        LuksImage img = LuksImage.format("xts-plain64", "sha256", 64, "right", 3, 1000, 4000, 1 << 16, 2);
        PluginException e = assertThrows(PluginException.class, () -> open(filter("wrong"), new MemoryNext(img.disk, false)));
        assertEquals("LUKS passphrase is not correct, no key slot could be unlocked", e.getMessage());
        // A NUL ends the passphrase, as in nbdkit (a C string): "right\0junk" is "right".
        open(filter("right\0junk"), new MemoryNext(img.disk, false));
    }

    @Test
    void changedKeyMaterialIsNotTakenFromTheMemo() {
        LuksImage img = LuksImage.format("cbc-plain64", "sha256", 32, "pw", 0, 1000, 4000, 1 << 16, 4);
        LuksFilter f = filter("pw");
        open(f, new MemoryNext(img.disk.clone(), false));
        byte[] damaged = img.disk.clone();
        damaged[8 * 512 + 100] ^= 1; // one bit of slot 0's key material
        PluginException e = assertThrows(PluginException.class, () -> open(f, new MemoryNext(damaged, false)));
        assertEquals("LUKS passphrase is not correct, no key slot could be unlocked", e.getMessage());
    }

    @Test
    void headerErrorsAreNbdkits() {
        LuksImage img = LuksImage.format("xts-plain64", "sha256", 64, "pw", 0, 1000, 4000, 1 << 16, 6);
        assertEquals("disk is too small to be LUKS-encrypted", failure(new byte[16383]));
        assertEquals("this disk does not contain a LUKS header", failure(new byte[1 << 20]));
        byte[] v2 = img.disk.clone();
        v2[7] = 2;
        assertEquals("this disk contains a LUKS version 2 header, but this filter only supports LUKSv1", failure(v2));
        assertEquals("bad LUKSv1 header: payload offset points beyond the end of the disk", failure(with(img, 104, 0x7fffffff)));
        assertEquals("bad LUKSv1 header: master key is too long", failure(with(img, 108, 1025)));
        assertEquals("bad LUKSv1 header: key slot 0 is corrupted", failure(with(img, 208 + 44, 0)));
        assertEquals("bad LUKSv1 header: key slot 0 stripes too large", failure(with(img, 208 + 44, 10000)));
        assertEquals("bad LUKSv1 header: key slot 0 key material offset points beyond the end of the disk",
                failure(with(img, 208 + 40, 0x10000000)));
        assertEquals("bad LUKSv1 header: key slot 5 has an invalid active flag", failure(with(img, 208 + 48 * 5, 1)));
        byte[] mode = img.disk.clone();
        mode[40 + 3] = '_'; // "xts_plain64"
        assertEquals("incorrect cipher_mode header, expecting mode-ivgenerator but got \"xts_plain64\"", failure(mode));
    }

    private static byte[] with(LuksImage img, int at, int value) {
        byte[] b = img.disk.clone();
        java.nio.ByteBuffer.wrap(b).putInt(at, value);
        return b;
    }

    private static String failure(byte[] disk) {
        return assertThrows(PluginException.class, () -> open(filter("pw"), new MemoryNext(disk, false))).getMessage();
    }

    @Test
    void advertisesWhatNbdkitDoes() {
        LuksImage img = LuksImage.format("xts-plain64", "sha256", 64, "pw", 0, 1000, 4000, 1 << 16, 8);
        MemoryNext next = new MemoryNext(img.disk, true);
        LuksHandle h = open(filter("pw"), next);
        assertEquals(false, h.canExtents(next));
        assertEquals(false, h.canTrim(next));
        assertEquals(false, h.canFastZero(next));
        assertEquals(dev.jnbdkit.spi.ZeroMode.EMULATE, h.canZero(next));
        assertEquals(dev.jnbdkit.spi.CacheMode.EMULATE, h.canCache(next));
        assertEquals(new BlockSize(512, 512, 0xffffffffL), h.blockSize(next));
    }
}
