package dev.jnbdkit.filters.gzip;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;

/** The gzip decoder: round trips through the JDK's GZIPOutputStream, and zlib's messages for damage. */
class GzipStreamTest {
    static byte[] gzip(byte[] data) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (GZIPOutputStream z = new GZIPOutputStream(b)) {
            z.write(data);
        }
        return b.toByteArray();
    }

    static byte[] gunzip(byte[] gz) throws GzipStream.GzipException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        long n = GzipStream.decompress(new GzipStream.Input() {
            @Override public long size() { return gz.length; }

            @Override public void read(MemorySegment dst, long offset) {
                MemorySegment.copy(gz, (int) offset, dst, ValueLayout.JAVA_BYTE, 0, (int) dst.byteSize());
            }
        }, (src, offset) -> {
            assertEquals(out.size(), offset, "output is written in order");
            out.writeBytes(src.toArray(ValueLayout.JAVA_BYTE));
        });
        assertEquals(out.size(), n);
        return out.toByteArray();
    }

    /** Compressible data several chunks long (so input and output buffers are refilled). */
    static byte[] data() {
        byte[] b = new byte[3 * GzipStream.CHUNK + 12345];
        java.util.Random r = new java.util.Random(7);
        for (int i = 0; i < b.length; i++) b[i] = (byte) (r.nextInt(16) + 'a');
        return b;
    }

    @Test
    void roundTrip() throws Exception {
        byte[] d = data();
        assertArrayEquals(d, gunzip(gzip(d)));
        assertArrayEquals(new byte[0], gunzip(gzip(new byte[0])));
    }

    @Test
    void onlyTheFirstMemberIsDecompressed() throws Exception {
        byte[] one = gzip("first".getBytes()), two = gzip("second".getBytes());
        byte[] both = Arrays.copyOf(one, one.length + two.length);
        System.arraycopy(two, 0, both, one.length, two.length);
        assertArrayEquals("first".getBytes(), gunzip(both));
    }

    @Test
    void optionalHeaderFields() throws Exception {
        byte[] plain = gzip("named".getBytes());
        // FEXTRA (2 bytes), FNAME, FCOMMENT and FHCRC inserted after the 10 fixed bytes
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write(plain, 0, 3);
        b.write(0x04 | 0x08 | 0x10 | 0x02);
        b.write(plain, 4, 6);
        b.writeBytes(new byte[] {2, 0, 'x', 'y'});
        b.writeBytes("name.img\0".getBytes());
        b.writeBytes("a comment\0".getBytes());
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(b.toByteArray());
        b.write((int) crc.getValue() & 0xff);
        b.write((int) (crc.getValue() >>> 8) & 0xff);
        b.write(plain, 10, plain.length - 10);
        assertArrayEquals("named".getBytes(), gunzip(b.toByteArray()));
        byte[] badHcrc = b.toByteArray();
        badHcrc[10 + 4 + 9 + 10] ^= 1;
        assertEquals("header crc mismatch", assertThrows(GzipStream.GzipException.class, () -> gunzip(badHcrc)).getMessage());
    }

    @Test
    void zlibsMessagesForDamage() throws Exception {
        byte[] gz = gzip(data());
        assertEquals("incorrect header check", fail(patch(gz, 0, 0x1e)));
        assertEquals("unknown compression method", fail(patch(gz, 2, 7)));
        assertEquals("unknown header flags set", fail(patch(gz, 3, 0x20)));
        assertEquals("incorrect data check", fail(patch(gz, gz.length - 8, gz[gz.length - 8] ^ 1)));
        assertEquals("incorrect length check", fail(patch(gz, gz.length - 1, gz[gz.length - 1] ^ 1)));
        assertEquals("invalid block type", fail(patch(gz, 10, 0x07)));
        assertEquals(GzipStream.TRUNCATED, fail(Arrays.copyOf(gz, gz.length / 2)));
        assertEquals(GzipStream.TRUNCATED, fail(Arrays.copyOf(gz, gz.length - 3)));
        assertEquals(GzipStream.TRUNCATED, fail(new byte[0]));
    }

    static byte[] patch(byte[] b, int at, int value) {
        byte[] c = b.clone();
        c[at] = (byte) value;
        return c;
    }

    static String fail(byte[] gz) {
        return assertThrows(GzipStream.GzipException.class, () -> gunzip(gz)).getMessage();
    }
}
