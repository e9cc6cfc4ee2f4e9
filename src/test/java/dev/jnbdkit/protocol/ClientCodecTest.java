package dev.jnbdkit.protocol;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.HexFormat;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The client-side codecs (OptionRequests, ReplyDecoder) against the server's own decoders and encoders. */
class ClientCodecTest {
    private static final Request R = new Request(0, Nbd.CMD_READ, 0x0a0b0c0d0e0f1011L, 0x1000L, 512);

    private static String hex(ByteBuffer b) {
        byte[] a = new byte[b.remaining()];
        b.duplicate().get(a);
        return HexFormat.of().formatHex(a);
    }

    @Test
    void optionRequestBytes() {
        assertEquals("00000003", hex(OptionRequests.clientFlags(3)));
        assertEquals("49484156454f5054" + "00000007" + "00000002" + "abcd",
                hex(OptionRequests.option(Nbd.OPT_GO, new byte[] {(byte) 0xab, (byte) 0xcd})));
    }

    @Test
    void exportRequestIsWhatTheServerParses() {
        byte[] p = OptionRequests.exportRequest("dïsk", Nbd.INFO_NAME, Nbd.INFO_BLOCK_SIZE);
        OptionPayload.ExportRequest r = OptionPayload.exportRequest(ByteBuffer.wrap(p));
        assertEquals("dïsk", r.name());
        assertEquals(List.of(Nbd.INFO_NAME, Nbd.INFO_BLOCK_SIZE), r.infos());
        assertEquals(List.of(), OptionPayload.exportRequest(ByteBuffer.wrap(OptionRequests.exportRequest(""))).infos());
    }

    @Test
    void metaRequestIsWhatTheServerParses() {
        byte[] p = OptionRequests.metaRequest("x", Nbd.BASE_ALLOCATION, "qemu:");
        OptionPayload.MetaRequest r = OptionPayload.metaRequest(ByteBuffer.wrap(p));
        assertEquals("x", r.name());
        assertEquals(List.of(Nbd.BASE_ALLOCATION, "qemu:"), r.queries());
    }

    @Test
    void optionReplyHeaderOfWhatTheServerEncodes() {
        ByteBuffer b = OptionReplies.error(Nbd.OPT_GO, Nbd.REP_ERR_UNKNOWN, "no such export");
        ReplyDecoder.OptionReplyHeader h = ReplyDecoder.optionReply(b);
        assertEquals(new ReplyDecoder.OptionReplyHeader(Nbd.OPT_GO, Nbd.REP_ERR_UNKNOWN, 14), h);
        assertTrue(h.isError());
        assertEquals(14, b.remaining(), "the payload is left in the buffer");
        assertFalse(ReplyDecoder.optionReply(OptionReplies.ack(Nbd.OPT_LIST)).isError());
        assertThrows(ProtocolException.class, () -> ReplyDecoder.optionReply(ByteBuffer.allocate(20)));
    }

    @Test
    void replyHeadersInEveryStyle() {
        ByteBuffer b = ByteBuffer.allocate(64);
        new ReplyEncoder(false, false).error(b, R, Nbd.ENOSPC, "ignored");
        ReplyDecoder.ReplyHeader h = ReplyDecoder.reply(b.flip());
        assertEquals(new ReplyDecoder.ReplyHeader(Nbd.SIMPLE_REPLY_MAGIC, Nbd.ENOSPC, 0, 0, R.cookie(), 0, 0), h);
        assertTrue(h.simple() && h.done() && !h.errorChunk());

        b = ByteBuffer.allocate(64);
        new ReplyEncoder(true, false).readData(b, R, 512);
        h = ReplyDecoder.reply(b.flip());
        assertEquals(new ReplyDecoder.ReplyHeader(Nbd.STRUCTURED_REPLY_MAGIC, 0, Nbd.REPLY_FLAG_DONE,
                Nbd.REPLY_TYPE_OFFSET_DATA, R.cookie(), 0, 8 + 512), h);
        assertEquals(R.offset(), b.getLong(), "payload follows the header");

        b = ByteBuffer.allocate(64);
        new ReplyEncoder(true, true).error(b, R, Nbd.EINVAL, "bad");
        h = ReplyDecoder.reply(b.flip());
        assertEquals(new ReplyDecoder.ReplyHeader(Nbd.EXTENDED_REPLY_MAGIC, 0, Nbd.REPLY_FLAG_DONE,
                Nbd.REPLY_TYPE_ERROR, R.cookie(), R.offset(), 6 + 3), h);
        assertTrue(h.errorChunk() && h.done());
        assertEquals(Nbd.EINVAL, b.getInt());
    }

    @Test
    void headerSizeByMagic() {
        assertEquals(16, ReplyDecoder.headerSize(Nbd.SIMPLE_REPLY_MAGIC));
        assertEquals(20, ReplyDecoder.headerSize(Nbd.STRUCTURED_REPLY_MAGIC));
        assertEquals(32, ReplyDecoder.headerSize(Nbd.EXTENDED_REPLY_MAGIC));
        assertThrows(ProtocolException.class, () -> ReplyDecoder.headerSize(0x12345678));
    }

    @Test
    void requestEncodeDecodeRoundTrip() {
        for (boolean ext : new boolean[] {false, true}) {
            ByteBuffer b = ByteBuffer.allocate(RequestDecoder.headerSize(ext));
            RequestDecoder.encode(b, R, ext);
            assertEquals(R, RequestDecoder.decode(b.flip(), ext));
        }
    }
}
