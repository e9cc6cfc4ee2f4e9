package dev.jnbdkit.protocol;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RequestCodecTest {
    private static byte[] encode(Request r, boolean ext) {
        ByteBuffer b = ByteBuffer.allocate(RequestDecoder.headerSize(ext));
        RequestDecoder.encode(b, r, ext);
        assertEquals(0, b.remaining());
        return b.array();
    }

    @Test
    void compactHeaderBytes() {
        Request r = new Request(Nbd.CMD_FLAG_FUA, Nbd.CMD_WRITE, 0x0102030405060708L, 0x1122334455667788L, 0xfffffffeL);
        assertEquals("25609513" + "0001" + "0001" + "0102030405060708" + "1122334455667788" + "fffffffe",
                HexFormat.of().formatHex(encode(r, false)));
        Request d = RequestDecoder.decode(ByteBuffer.wrap(encode(r, false)), false);
        assertEquals(r, d);
        assertEquals(0xfffffffeL, d.length(), "length is unsigned");
    }

    @Test
    void extendedHeaderBytes() {
        Request r = new Request(0, Nbd.CMD_READ, -1L, -2L, 0x8000000000000001L);
        assertEquals("21e41c71" + "0000" + "0000" + "ffffffffffffffff" + "fffffffffffffffe" + "8000000000000001",
                HexFormat.of().formatHex(encode(r, true)));
        assertEquals(r, RequestDecoder.decode(ByteBuffer.wrap(encode(r, true)), true));
    }

    @Property(tries = 500)
    void compactRoundTrip(@ForAll @IntRange(min = 0, max = 0xffff) int flags, @ForAll @IntRange(min = 0, max = 0xffff) int type,
                          @ForAll long cookie, @ForAll long offset, @ForAll int length) {
        Request r = new Request(flags, type, cookie, offset, Integer.toUnsignedLong(length));
        Request d = RequestDecoder.decode(ByteBuffer.wrap(encode(r, false)), false);
        assertEquals(r, d);
        assertTrue(d.length() >= 0);
    }

    @Property(tries = 500)
    void extendedRoundTrip(@ForAll @IntRange(min = 0, max = 0xffff) int flags, @ForAll @IntRange(min = 0, max = 0xffff) int type,
                           @ForAll long cookie, @ForAll long offset, @ForAll long length) {
        Request r = new Request(flags, type, cookie, offset, length);
        assertEquals(r, RequestDecoder.decode(ByteBuffer.wrap(encode(r, true)), true));
    }

    @Property(tries = 300)
    void decodeEncodeIsIdentityOnValidBytes(@ForAll byte[] random, @ForAll boolean ext) {
        byte[] bytes = new byte[RequestDecoder.headerSize(ext)];
        System.arraycopy(random, 0, bytes, 0, Math.min(random.length, bytes.length));
        ByteBuffer.wrap(bytes).putInt(ext ? Nbd.EXTENDED_REQUEST_MAGIC : Nbd.REQUEST_MAGIC);
        assertArrayEquals(bytes, encode(RequestDecoder.decode(ByteBuffer.wrap(bytes), ext), ext));
    }

    @Test
    void badMagicIsAProtocolError() {
        Request r = new Request(0, 0, 1, 0, 512);
        assertThrows(ProtocolException.class, () -> RequestDecoder.decode(ByteBuffer.wrap(encode(r, false)), true),
                "compact magic where extended was negotiated");
        byte[] ext = encode(r, true);
        assertThrows(ProtocolException.class, () -> RequestDecoder.decode(ByteBuffer.wrap(ext, 0, 28), false),
                "extended magic where compact was negotiated");
        byte[] junk = encode(r, false);
        junk[0] ^= 1;
        ProtocolException e = assertThrows(ProtocolException.class, () -> RequestDecoder.decode(ByteBuffer.wrap(junk), false));
        assertTrue(e.getMessage().contains("magic"), e.getMessage());
        // a reply magic sent back at us is not a request either
        byte[] reply = new byte[28];
        ByteBuffer.wrap(reply).putInt(Nbd.SIMPLE_REPLY_MAGIC);
        assertThrows(ProtocolException.class, () -> RequestDecoder.decode(ByteBuffer.wrap(reply), false));
    }

    @Test
    void headerSizes() {
        assertEquals(28, RequestDecoder.headerSize(false));
        assertEquals(32, RequestDecoder.headerSize(true));
    }
}
