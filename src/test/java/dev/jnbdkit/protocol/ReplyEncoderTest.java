package dev.jnbdkit.protocol;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReplyEncoderTest {
    private static final Request R = new Request(0, Nbd.CMD_READ, 0x0a0b0c0d0e0f1011L, 0x1000L, 512);

    private static String hex(ByteBuffer b) {
        b.flip();
        byte[] a = new byte[b.remaining()];
        b.get(a);
        return HexFormat.of().formatHex(a);
    }

    private static ByteBuffer buf() { return ByteBuffer.allocate(4096); }

    @Test
    void simpleStyle() {
        ReplyEncoder e = new ReplyEncoder(false, false);
        assertFalse(e.structured());
        ByteBuffer b = buf();
        e.ok(b, R);
        assertEquals("67446698" + "00000000" + "0a0b0c0d0e0f1011", hex(b));
        b = buf();
        e.error(b, R, Nbd.ENOSPC, "ignored in simple replies");
        assertEquals("67446698" + "0000001c" + "0a0b0c0d0e0f1011", hex(b));
        b = buf();
        e.readData(b, R, 512);
        assertEquals("67446698" + "00000000" + "0a0b0c0d0e0f1011", hex(b));
    }

    @Test
    void structuredStyle() {
        ReplyEncoder e = new ReplyEncoder(true, false);
        assertTrue(e.structured());
        assertFalse(e.extended());
        ByteBuffer b = buf();
        e.ok(b, R);
        assertEquals("67446698" + "00000000" + "0a0b0c0d0e0f1011", hex(b), "success without data stays simple");
        b = buf();
        e.error(b, R, Nbd.EINVAL, "bad");
        assertEquals("668e33ef" + "0001" + "8001" + "0a0b0c0d0e0f1011" + "00000009"
                + "00000016" + "0003" + "626164", hex(b));
        b = buf();
        e.error(b, R, Nbd.EIO, null);
        assertEquals("668e33ef" + "0001" + "8001" + "0a0b0c0d0e0f1011" + "00000006" + "00000005" + "0000", hex(b));
        b = buf();
        e.readData(b, R, 512);
        assertEquals("668e33ef" + "0001" + "0001" + "0a0b0c0d0e0f1011" + "00000208" + "0000000000001000", hex(b));
    }

    @Test
    void extendedStyle() {
        ReplyEncoder e = new ReplyEncoder(false, true);
        assertTrue(e.structured(), "extended implies structured");
        assertTrue(e.extended());
        ByteBuffer b = buf();
        e.ok(b, R);
        assertEquals("6e8a278c" + "0001" + "0000" + "0a0b0c0d0e0f1011" + "0000000000001000" + "0000000000000000",
                hex(b), "NONE chunk with DONE for success");
        b = buf();
        e.error(b, R, Nbd.EPERM, "no");
        assertEquals("6e8a278c" + "0001" + "8001" + "0a0b0c0d0e0f1011" + "0000000000001000" + "0000000000000008"
                + "00000001" + "0002" + "6e6f", hex(b));
        b = buf();
        e.readData(b, R, 0x1_0000_0000L);
        assertEquals("6e8a278c" + "0001" + "0001" + "0a0b0c0d0e0f1011" + "0000000000001000" + "0000000100000008"
                + "0000000000001000", hex(b));
    }

    @Test
    void blockStatusCompact() {
        ReplyEncoder e = new ReplyEncoder(true, false);
        ByteBuffer b = ByteBuffer.allocate(e.blockStatusSize(2));
        e.blockStatus(b, R, 1, new long[] {0xfffff000L, 4096}, new int[] {3, 0}, 2);
        assertEquals(0, b.remaining(), "blockStatusSize is exact");
        assertEquals("668e33ef" + "0001" + "0005" + "0a0b0c0d0e0f1011" + "00000014"
                + "00000001" + "fffff000" + "00000003" + "00001000" + "00000000", hex(b));
    }

    @Test
    void blockStatusExtended() {
        ReplyEncoder e = new ReplyEncoder(true, true);
        ByteBuffer b = ByteBuffer.allocate(e.blockStatusSize(2));
        e.blockStatus(b, R, 1, new long[] {0x1_0000_0000L, 4096}, new int[] {1, 0}, 2);
        assertEquals(0, b.remaining(), "blockStatusSize is exact");
        assertEquals("6e8a278c" + "0001" + "0006" + "0a0b0c0d0e0f1011" + "0000000000001000" + "0000000000000028"
                + "00000001" + "00000002"
                + "0000000100000000" + "0000000000000001"
                + "0000000000001000" + "0000000000000000", hex(b));
    }

    @Property(tries = 200)
    void errorFitsTheAdvertisedRoomAndParses(@ForAll boolean ext, @ForAll String message,
                                             @ForAll @IntRange(min = 1, max = 200) int code) {
        ReplyEncoder e = new ReplyEncoder(true, ext);
        int len = Math.min(message.getBytes(StandardCharsets.UTF_8).length, 1024);
        ByteBuffer b = ByteBuffer.allocate(e.maxStatusReplySize(len));
        e.error(b, R, code, message);
        b.flip();
        int magic = b.getInt();
        assertEquals(ext ? Nbd.EXTENDED_REPLY_MAGIC : Nbd.STRUCTURED_REPLY_MAGIC, magic);
        assertEquals(Nbd.REPLY_FLAG_DONE, b.getShort());
        assertEquals((short) Nbd.REPLY_TYPE_ERROR, b.getShort());
        assertEquals(R.cookie(), b.getLong());
        if (ext) assertEquals(R.offset(), b.getLong());
        long payload = ext ? b.getLong() : b.getInt();
        assertEquals(payload, b.remaining());
        assertEquals(code, b.getInt());
        int mlen = Short.toUnsignedInt(b.getShort());
        assertEquals(mlen, b.remaining());
        assertTrue(mlen <= 1024);
    }

    @Test
    void longMessagesAreTruncated() {
        ReplyEncoder e = new ReplyEncoder(true, false);
        ByteBuffer b = ByteBuffer.allocate(e.maxStatusReplySize(1024));
        e.error(b, R, Nbd.EIO, "x".repeat(100_000));
        assertEquals(20 + 6 + 1024, b.position());
    }

    @Property(tries = 200)
    void readDataHeaderLength(@ForAll boolean ext, @ForAll @LongRange(min = 0, max = 64 << 20) long len) {
        ReplyEncoder e = new ReplyEncoder(true, ext);
        ByteBuffer b = ByteBuffer.allocate(64);
        e.readData(b, R, len);
        assertEquals(e.chunkHeaderSize() + 8, b.position());
        b.flip();
        b.position(ext ? 24 : 16);
        long payload = ext ? b.getLong() : Integer.toUnsignedLong(b.getInt());
        assertEquals(8 + len, payload);
    }
}
