package dev.jnbdkit.server;

import dev.jnbdkit.it.RawNbd;
import dev.jnbdkit.backend.FakePlugin;
import dev.jnbdkit.protocol.Nbd;
import dev.jnbdkit.spi.BlockSize;
import dev.jnbdkit.spi.Export;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(120)
class HandshakeTest {
    private static String infoString(RawNbd.OptReply r) {
        return new String(r.data(), 2, r.data().length - 2, StandardCharsets.UTF_8);
    }

    @Test
    void goWithNameDescriptionAndBlockSize() throws Exception {
        FakePlugin p = new FakePlugin();
        p.description = "a test disk";
        p.blockSize = new BlockSize(512, 4096, 32 << 20);
        p.defaultExport = "canonical";
        try (TestServer s = TestServer.start(p); RawNbd c = s.connect().start()) {
            List<RawNbd.OptReply> l = c.exchange(Nbd.OPT_GO,
                    RawNbd.exportRequest("", Nbd.INFO_NAME, Nbd.INFO_DESCRIPTION, Nbd.INFO_BLOCK_SIZE));
            assertEquals(Nbd.REP_ACK, l.getLast().type());
            boolean export = false, name = false, desc = false, bs = false;
            for (RawNbd.OptReply r : l.subList(0, l.size() - 1)) {
                assertEquals(Nbd.REP_INFO, r.type());
                ByteBuffer b = r.buf();
                switch (b.getShort()) {
                    case Nbd.INFO_EXPORT -> {
                        export = true;
                        assertEquals(12, r.data().length);
                        assertEquals(1 << 20, b.getLong());
                        int flags = Short.toUnsignedInt(b.getShort());
                        assertTrue((flags & Nbd.FLAG_HAS_FLAGS) != 0);
                        assertEquals(0, flags & Nbd.FLAG_READ_ONLY);
                        assertTrue((flags & Nbd.FLAG_SEND_FLUSH) != 0);
                        assertTrue((flags & Nbd.FLAG_SEND_FUA) != 0);
                        assertTrue((flags & Nbd.FLAG_SEND_WRITE_ZEROES) != 0);
                        assertEquals(0, flags & Nbd.FLAG_SEND_DF, "DF needs structured replies");
                    }
                    case Nbd.INFO_NAME -> { name = true; assertEquals("canonical", infoString(r)); }
                    case Nbd.INFO_DESCRIPTION -> { desc = true; assertEquals("a test disk", infoString(r)); }
                    case Nbd.INFO_BLOCK_SIZE -> {
                        bs = true;
                        assertEquals(14, r.data().length);
                        assertEquals(512, b.getInt());
                        assertEquals(4096, b.getInt());
                        assertEquals(32 << 20, b.getInt());
                    }
                    default -> throw new AssertionError("unexpected info type");
                }
            }
            assertTrue(export && name && desc && bs);
            assertEquals(List.of("canonical"), p.openedExports);
            c.write(0, 1, 0, new byte[] {1, 2, 3});
            c.expectOk(1);
            assertArrayEquals(new byte[] {1, 2, 3}, c.read(2, 0, 3));
            c.disconnect();
        }
    }

    @Test
    void infoDoesNotKeepTheExportOpenAndGoStillWorks() throws Exception {
        FakePlugin p = new FakePlugin();
        try (TestServer s = TestServer.start(p); RawNbd c = s.connect().start()) {
            List<RawNbd.OptReply> l = c.exchange(Nbd.OPT_INFO, RawNbd.exportRequest("x"));
            assertEquals(Nbd.REP_ACK, l.getLast().type());
            s.awaitHandlesClosed();
            assertEquals(1 << 20, c.go("x").size());
            assertEquals(List.of("x", "x"), p.openedExports);
            c.disconnect();
        }
    }

    @Test
    void optList() throws Exception {
        FakePlugin p = new FakePlugin();
        p.exports = List.of(new Export("a", "first"), Export.named("b"));
        try (TestServer s = TestServer.start(p); RawNbd c = s.connect().start()) {
            List<RawNbd.OptReply> l = c.exchange(Nbd.OPT_LIST, new byte[0]);
            assertEquals(3, l.size());
            ByteBuffer a = l.get(0).buf();
            assertEquals(Nbd.REP_SERVER, l.get(0).type());
            assertEquals(1, a.getInt());
            assertEquals('a', a.get());
            assertEquals("first", new String(l.get(0).data(), 5, l.get(0).data().length - 5, StandardCharsets.UTF_8));
            assertArrayEquals(new byte[] {0, 0, 0, 1, 'b'}, l.get(1).data());
            assertEquals(Nbd.REP_ACK, l.get(2).type());
            // LIST takes no payload
            assertEquals(Nbd.REP_ERR_INVALID, c.single(Nbd.OPT_LIST, new byte[] {0}).type());
            c.go("a");
            c.disconnect();
        }
        assertEquals(0, p.calls("open") - p.calls("close"));
    }

    @Test
    void optListDefaultExport() throws Exception {
        FakePlugin p = new FakePlugin();
        p.defaultExport = "dflt";
        try (TestServer s = TestServer.start(p); RawNbd c = s.connect().start()) {
            List<RawNbd.OptReply> l = c.exchange(Nbd.OPT_LIST, new byte[0]);
            assertEquals(2, l.size());
            assertArrayEquals(new byte[] {0, 0, 0, 4, 'd', 'f', 'l', 't'}, l.get(0).data());
        }
    }

    @Test
    void unknownOptionsAndStarttlsAreUnsupportedAndTheConnectionStays() throws Exception {
        try (TestServer s = TestServer.start(new FakePlugin()); RawNbd c = s.connect().start()) {
            for (int opt : new int[] {99, Nbd.OPT_PEEK_EXPORT, 0, 0x7fffffff, -1}) {
                RawNbd.OptReply r = c.single(opt, new byte[] {1, 2, 3});
                assertEquals(Nbd.REP_ERR_UNSUP, r.type(), "option " + opt);
            }
            assertEquals(Nbd.REP_ERR_UNSUP, c.single(Nbd.OPT_STARTTLS, new byte[0]).type());
            assertEquals(Nbd.REP_ERR_INVALID, c.single(Nbd.OPT_STARTTLS, new byte[] {0}).type());
            c.go("");
            assertEquals(16, c.read(1, 0, 16).length);
            c.disconnect();
        }
    }

    @Test
    void badGoPayloadsAreInvalidAndTheConnectionStays() throws Exception {
        try (TestServer s = TestServer.start(new FakePlugin()); RawNbd c = s.connect().start()) {
            byte[][] bad = {
                {},
                {0, 0, 0, 5, 'a'},
                {0, 0, 0, 0, 0, 2, 0, 1},                 // two infos promised, one given
                {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0, 0},
                RawNbd.exportRequest("n".repeat(4097)),  // name over 4096 bytes
                {0, 0, 0, 1, (byte) 0xff, 0, 0},          // not UTF-8
            };
            for (byte[] b : bad) {
                assertEquals(Nbd.REP_ERR_INVALID, c.single(Nbd.OPT_GO, b).type());
                assertEquals(Nbd.REP_ERR_INVALID, c.single(Nbd.OPT_INFO, b).type());
            }
            c.go("");
            c.disconnect();
        }
    }

    @Test
    void failingOpenIsReportedAndTheConnectionStays() throws Exception {
        FakePlugin p = new FakePlugin();
        p.failWith.put("open", dev.jnbdkit.spi.Errno.EPERM);
        try (TestServer s = TestServer.start(p); RawNbd c = s.connect().start()) {
            RawNbd.OptReply r = c.exchange(Nbd.OPT_GO, RawNbd.exportRequest("")).getLast();
            assertTrue(r.isError(), "GO must fail when open fails");
            p.failWith.clear();
            c.go("");
            c.disconnect();
        }
    }

    @Test
    void exportNameWithAndWithoutZeroes() throws Exception {
        FakePlugin p = new FakePlugin();
        try (TestServer s = TestServer.start(p)) {
            try (RawNbd c = s.connect().start()) {
                c.option(Nbd.OPT_EXPORT_NAME, "e".getBytes(StandardCharsets.UTF_8));
                assertEquals(1 << 20, c.readLong());
                int flags = c.readShort();
                assertTrue((flags & Nbd.FLAG_HAS_FLAGS) != 0);
                // NO_ZEROES: transmission starts at once, no padding
                assertArrayEquals(new byte[4], c.read(1, 0, 4));
                c.disconnect();
            }
            try (RawNbd c = s.connect()) {
                c.greeting();
                c.clientFlags(Nbd.FLAG_C_FIXED_NEWSTYLE);
                c.option(Nbd.OPT_EXPORT_NAME, new byte[0]);
                assertEquals(1 << 20, c.readLong());
                c.readShort();
                assertArrayEquals(new byte[124], c.read(124));
                assertArrayEquals(new byte[4], c.read(0, 0, 4));
                c.disconnect();
            }
        }
        assertEquals(List.of("e", ""), p.openedExports);
    }

    @Test
    void exportNameOverTheLimitEndsTheConnection() throws Exception {
        try (TestServer s = TestServer.start(new FakePlugin())) {
            try (RawNbd c = s.connect().start()) {
                c.option(Nbd.OPT_EXPORT_NAME, "n".repeat(4097).getBytes(StandardCharsets.UTF_8));
                c.expectClosed();
            }
            try (RawNbd c = s.ready()) {
                c.disconnect();
            }
        }
    }

    @Test
    void abort() throws Exception {
        try (TestServer s = TestServer.start(new FakePlugin()); RawNbd c = s.connect().start()) {
            assertEquals(Nbd.REP_ACK, c.single(Nbd.OPT_ABORT, new byte[0]).type());
            c.expectClosed();
        }
    }

    @Test
    void unadvertisedClientFlagsEndTheConnection() throws Exception {
        try (TestServer s = TestServer.start(new FakePlugin())) {
            try (RawNbd c = s.connect()) {
                c.greeting();
                c.clientFlags(0x80);
                c.expectClosed();
            }
            try (RawNbd c = s.ready()) {
                c.disconnect();
            }
        }
    }

    @Test
    void maskHandshakeZero() throws Exception {
        FakePlugin p = new FakePlugin();
        try (TestServer s = TestServer.start(p, false, new ServerSettings(false, false, 0, 16))) {
            try (RawNbd c = s.connect()) {
                assertEquals(0, c.greeting(), "no FIXED_NEWSTYLE, no NO_ZEROES");
                c.clientFlags(0);
                c.option(Nbd.OPT_EXPORT_NAME, new byte[0]);
                assertEquals(1 << 20, c.readLong());
                c.readShort();
                assertArrayEquals(new byte[124], c.read(124));
                c.write(0, 5, 0, new byte[] {9});
                c.expectOk(5);
                c.disconnect();
            }
            try (RawNbd c = s.connect()) {
                c.greeting();
                c.clientFlags(Nbd.FLAG_C_FIXED_NEWSTYLE); // not advertised
                c.expectClosed();
            }
        }
    }

    @Test
    void maskHandshakeOne() throws Exception {
        try (TestServer s = TestServer.start(new FakePlugin(), false, new ServerSettings(false, false, 1, 16));
             RawNbd c = s.connect()) {
            assertEquals(Nbd.FLAG_FIXED_NEWSTYLE, c.greeting());
            c.clientFlags(Nbd.FLAG_C_FIXED_NEWSTYLE);
            c.go("");
            c.disconnect();
        }
    }

    @Test
    void noSrRefusesStructuredRepliesAndExtendedHeaders() throws Exception {
        try (TestServer s = TestServer.start(new FakePlugin(), false, new ServerSettings(false, true, 0xffff, 16));
             RawNbd c = s.connect().start()) {
            assertEquals(Nbd.REP_ERR_UNSUP, c.single(Nbd.OPT_STRUCTURED_REPLY, new byte[0]).type());
            assertEquals(Nbd.REP_ERR_UNSUP, c.single(Nbd.OPT_EXTENDED_HEADERS, new byte[0]).type());
            assertEquals(Nbd.REP_ERR_INVALID, c.single(Nbd.OPT_SET_META_CONTEXT,
                    RawNbd.metaRequest("", Nbd.BASE_ALLOCATION)).type());
            RawNbd.Export e = c.go("");
            assertEquals(0, e.flags() & Nbd.FLAG_SEND_DF);
            c.request(0, Nbd.CMD_READ, 7, 1 << 30, 1);
            c.expectError(7, Nbd.EINVAL); // simple reply
            c.disconnect();
        }
    }

    @Test
    void structuredReplyAndMetaContexts() throws Exception {
        try (TestServer s = TestServer.start(new FakePlugin()); RawNbd c = s.connect().start()) {
            // meta contexts need structured replies first
            assertEquals(Nbd.REP_ERR_INVALID, c.single(Nbd.OPT_LIST_META_CONTEXT, RawNbd.metaRequest("")).type());
            assertEquals(Nbd.REP_ERR_INVALID, c.single(Nbd.OPT_SET_META_CONTEXT,
                    RawNbd.metaRequest("", Nbd.BASE_ALLOCATION)).type());
            assertEquals(Nbd.REP_ERR_INVALID, c.single(Nbd.OPT_STRUCTURED_REPLY, new byte[] {1}).type());
            c.ack(Nbd.OPT_STRUCTURED_REPLY);

            for (String[] queries : new String[][] {{}, {"base:"}, {Nbd.BASE_ALLOCATION}, {"x:y", Nbd.BASE_ALLOCATION}}) {
                List<RawNbd.OptReply> l = c.exchange(Nbd.OPT_LIST_META_CONTEXT, RawNbd.metaRequest("", queries));
                assertEquals(2, l.size(), List.of(queries).toString());
                assertEquals(Nbd.REP_META_CONTEXT, l.get(0).type());
                ByteBuffer b = l.get(0).buf();
                b.getInt(); // id: meaningless in a list
                assertEquals(Nbd.BASE_ALLOCATION, new String(l.get(0).data(), 4, l.get(0).data().length - 4, StandardCharsets.UTF_8));
                assertEquals(Nbd.REP_ACK, l.get(1).type());
            }
            assertEquals(Nbd.REP_ACK, c.single(Nbd.OPT_LIST_META_CONTEXT, RawNbd.metaRequest("", "qemu:dirty-bitmap:x")).type());
            assertEquals(Nbd.REP_ACK, c.single(Nbd.OPT_SET_META_CONTEXT, RawNbd.metaRequest("", "base:")).type(),
                    "'base:' selects nothing in SET");
            assertEquals(Nbd.REP_ERR_INVALID, c.single(Nbd.OPT_SET_META_CONTEXT,
                    new byte[] {0, 0, 0, 0, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff}).type(),
                    "2^32-1 queries in an 8-byte payload");

            List<RawNbd.OptReply> set = c.exchange(Nbd.OPT_SET_META_CONTEXT,
                    RawNbd.metaRequest("", "x:y", Nbd.BASE_ALLOCATION));
            assertEquals(2, set.size());
            ByteBuffer b = set.get(0).buf();
            int id = b.getInt();
            assertEquals(Nbd.BASE_ALLOCATION_ID, id);

            RawNbd.Export e = c.go("");
            assertTrue((e.flags() & Nbd.FLAG_SEND_DF) != 0);
            c.request(0, Nbd.CMD_BLOCK_STATUS, 3, 0, 8192);
            RawNbd.Chunk r = c.reply();
            assertEquals(Nbd.REPLY_TYPE_BLOCK_STATUS, r.type());
            assertEquals(Nbd.REPLY_FLAG_DONE, r.flags());
            ByteBuffer p = ByteBuffer.wrap(r.payload());
            assertEquals(id, p.getInt());
            assertEquals(8192, p.getInt());
            assertEquals(0, p.getInt());
            assertEquals(0, p.remaining());
            c.disconnect();
        }
    }

    @Test
    void metaContextSetForTheDefaultExportSurvivesNameResolution() throws Exception {
        FakePlugin p = new FakePlugin();
        p.defaultExport = "disk";
        try (TestServer s = TestServer.start(p); RawNbd c = s.connect().start()) {
            c.ack(Nbd.OPT_STRUCTURED_REPLY);
            assertEquals(2, c.exchange(Nbd.OPT_SET_META_CONTEXT, RawNbd.metaRequest("", Nbd.BASE_ALLOCATION)).size());
            c.go("");
            c.request(0, Nbd.CMD_BLOCK_STATUS, 3, 0, 512);
            RawNbd.Chunk r = c.reply();
            assertEquals(0, r.status(), r.message());
            assertEquals(Nbd.REPLY_TYPE_BLOCK_STATUS, r.type());
            c.disconnect();
        }
    }

    @Test
    void metaContextForAnotherExportDoesNotApply() throws Exception {
        try (TestServer s = TestServer.start(new FakePlugin()); RawNbd c = s.connect().start()) {
            c.ack(Nbd.OPT_STRUCTURED_REPLY);
            assertEquals(2, c.exchange(Nbd.OPT_SET_META_CONTEXT, RawNbd.metaRequest("other", Nbd.BASE_ALLOCATION)).size());
            c.go("");
            c.request(0, Nbd.CMD_BLOCK_STATUS, 3, 0, 512);
            c.expectError(3, Nbd.EINVAL);
            c.disconnect();
        }
    }

    @Test
    void blockStatusWithoutAContext() throws Exception {
        try (TestServer s = TestServer.start(new FakePlugin()); RawNbd c = s.connect().start()) {
            c.ack(Nbd.OPT_STRUCTURED_REPLY);
            c.single(Nbd.OPT_SET_META_CONTEXT, RawNbd.metaRequest("", "unknown:thing"));
            c.go("");
            c.request(0, Nbd.CMD_BLOCK_STATUS, 11, 0, 512);
            RawNbd.Chunk r = c.expectError(11, Nbd.EINVAL);
            assertTrue(r.message().contains("meta context"), r.message());
            assertEquals(4, c.read(12, 0, 4).length);
            c.disconnect();
        }
    }

    @Test
    void oldstyle() throws Exception {
        FakePlugin p = new FakePlugin();
        p.canTrim = false;
        try (TestServer s = TestServer.start(p, false, new ServerSettings(true, false, 0xffff, 16));
             RawNbd c = s.connect()) {
            assertEquals(Nbd.NBDMAGIC, c.readLong());
            assertEquals(Nbd.OLDSTYLE_MAGIC, c.readLong());
            assertEquals(1 << 20, c.readLong());
            assertEquals(0, c.readShort(), "global flags");
            int flags = c.readShort();
            assertTrue((flags & Nbd.FLAG_HAS_FLAGS) != 0);
            assertEquals(0, flags & Nbd.FLAG_SEND_TRIM);
            assertArrayEquals(new byte[124], c.read(124));
            c.write(0, 1, 10, new byte[] {4, 5});
            c.expectOk(1);
            assertArrayEquals(new byte[] {0, 4, 5, 0}, c.read(2, 9, 4));
            c.disconnect();
        }
    }

    @Test
    @Timeout(60)
    void unixSocket(@TempDir Path dir) throws Exception {
        Path sock = dir.resolve("nbd.sock");
        try (TestServer s = TestServer.unix(new FakePlugin(), sock); RawNbd c = RawNbd.connect(sock).start()) {
            c.go("");
            c.write(0, 1, 0, "hello".getBytes(StandardCharsets.US_ASCII));
            c.expectOk(1);
            assertEquals("hello", new String(c.read(2, 0, 5), StandardCharsets.US_ASCII));
            c.disconnect();
        }
    }
}
