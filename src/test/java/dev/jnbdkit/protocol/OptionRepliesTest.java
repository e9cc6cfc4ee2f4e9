package dev.jnbdkit.protocol;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.assertEquals;

class OptionRepliesTest {
    private static String hex(ByteBuffer b) {
        byte[] a = new byte[b.remaining()];
        b.duplicate().get(a);
        return HexFormat.of().formatHex(a);
    }

    private static final String MAGIC = "0003e889045565a9";

    @Test
    void greetings() {
        assertEquals("4e42444d41474943" + "49484156454f5054" + "0003", hex(OptionReplies.newstyleGreeting(3)));
        ByteBuffer old = OptionReplies.oldstyleGreeting(0x123456789L, 0, 0x0105);
        assertEquals(152, old.remaining());
        assertEquals("4e42444d41474943" + "0000420281861253" + "0000000123456789" + "0000" + "0105" + "00".repeat(124), hex(old));
    }

    @Test
    void exportNameReply() {
        assertEquals("0000000000100000" + "0043" + "00".repeat(124), hex(OptionReplies.exportNameReply(1 << 20, 0x43, false)));
        assertEquals("0000000000100000" + "0043", hex(OptionReplies.exportNameReply(1 << 20, 0x43, true)));
    }

    @Test
    void ackAndErrors() {
        assertEquals(MAGIC + "00000007" + "00000001" + "00000000", hex(OptionReplies.ack(Nbd.OPT_GO)));
        assertEquals(MAGIC + "0000002a" + "80000001" + "00000002" + "6869", hex(OptionReplies.error(42, Nbd.REP_ERR_UNSUP, "hi")));
        assertEquals(MAGIC + "00000005" + "80000003" + "00000000", hex(OptionReplies.error(5, Nbd.REP_ERR_INVALID, null)));
    }

    @Test
    void serverListEntry() {
        assertEquals(MAGIC + "00000003" + "00000002" + "00000009" + "00000002" + "6162" + "646573",
                hex(OptionReplies.server(Nbd.OPT_LIST, "ab", "des")));
        assertEquals(MAGIC + "00000003" + "00000002" + "00000004" + "00000000",
                hex(OptionReplies.server(Nbd.OPT_LIST, "", null)));
        // name length counts UTF-8 bytes, not characters
        assertEquals(MAGIC + "00000003" + "00000002" + "00000006" + "00000002" + "c3a9",
                hex(OptionReplies.server(Nbd.OPT_LIST, "é", null)));
    }

    @Test
    void infos() {
        assertEquals(MAGIC + "00000007" + "00000003" + "0000000c" + "0000" + "0000000000000200" + "0003",
                hex(OptionReplies.infoExport(Nbd.OPT_GO, 512, 3)));
        assertEquals(MAGIC + "00000006" + "00000003" + "00000004" + "0001" + "7878",
                hex(OptionReplies.infoString(Nbd.OPT_INFO, Nbd.INFO_NAME, "xx")));
        assertEquals(MAGIC + "00000007" + "00000003" + "00000003" + "0002" + "64",
                hex(OptionReplies.infoString(Nbd.OPT_GO, Nbd.INFO_DESCRIPTION, "d")));
        assertEquals(MAGIC + "00000007" + "00000003" + "0000000e" + "0003" + "00000001" + "00001000" + "ffffffff",
                hex(OptionReplies.infoBlockSize(Nbd.OPT_GO, 1, 4096, -1)));
    }

    @Test
    void metaContext() {
        assertEquals(MAGIC + "0000000a" + "00000004" + "00000013" + "00000001" + "626173653a616c6c6f636174696f6e",
                hex(OptionReplies.metaContext(Nbd.OPT_SET_META_CONTEXT, 1, "base:allocation")));
    }
}
