package dev.jnbdkit.server;

import dev.jnbdkit.it.RawNbd;
import dev.jnbdkit.backend.FakePlugin;
import dev.jnbdkit.protocol.Nbd;
import dev.jnbdkit.spi.CacheMode;
import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.Extent;
import dev.jnbdkit.spi.FuaMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(120)
class TransmissionTest {
    private static final int SIZE = 1 << 20;

    /** After an error the connection must still work: a good read with a fresh cookie. */
    private static void stillWorks(RawNbd c, long cookie) throws Exception {
        assertEquals(8, c.read(cookie, 0, 8).length);
    }

    private static void invalidRequests(RawNbd c) throws Exception {
        long ck = 100;
        c.request(0, Nbd.CMD_READ, ck, SIZE - 4, 8);            // runs past the end
        c.expectError(ck, Nbd.EINVAL);
        stillWorks(c, ++ck);
        c.request(0, Nbd.CMD_READ, ++ck, -1L, 1);               // offset 2^64-1
        c.expectError(ck, Nbd.EINVAL);
        c.write(0, ++ck, SIZE - 2, new byte[4]);                // write past the end: ENOSPC, payload drained
        c.expectError(ck, Nbd.ENOSPC);
        stillWorks(c, ++ck);
        c.request(0, Nbd.CMD_WRITE_ZEROES, ++ck, SIZE, 1);
        c.expectError(ck, Nbd.ENOSPC);
        c.request(0, Nbd.CMD_TRIM, ++ck, SIZE, 1);
        c.expectError(ck, Nbd.EINVAL);
        c.request(0, 99, ++ck, 0, 0);                           // unknown command
        c.expectError(ck, Nbd.EINVAL);
        c.request(0, 0xffff, ++ck, 0, 512);
        c.expectError(ck, Nbd.EINVAL);
        stillWorks(c, ++ck);
        c.request(1 << 6, Nbd.CMD_READ, ++ck, 0, 512);          // unknown flag
        c.expectError(ck, Nbd.EINVAL);
        c.request(0x8000, Nbd.CMD_READ, ++ck, 0, 512);
        c.expectError(ck, Nbd.EINVAL);
        c.request(Nbd.CMD_FLAG_NO_HOLE, Nbd.CMD_READ, ++ck, 0, 512);
        c.expectError(ck, Nbd.EINVAL);
        c.request(Nbd.CMD_FLAG_REQ_ONE, Nbd.CMD_READ, ++ck, 0, 512);
        c.expectError(ck, Nbd.EINVAL);
        c.request(0, Nbd.CMD_READ, ++ck, 0, 0);                 // zero length
        c.expectError(ck, Nbd.EINVAL);
        c.request(0, Nbd.CMD_TRIM, ++ck, 0, 0);
        c.expectError(ck, Nbd.EINVAL);
        c.request(0, Nbd.CMD_FLUSH, ++ck, 512, 0);              // flush with an offset
        c.expectError(ck, Nbd.EINVAL);
        c.request(0, Nbd.CMD_FLUSH, ++ck, 0, 512);
        c.expectError(ck, Nbd.EINVAL);
        c.request(0, Nbd.CMD_FLUSH, ++ck, 0, 0);
        c.expectOk(ck);
        stillWorks(c, ++ck);
    }

    @Test
    void invalidRequestsSimpleReplies() throws Exception {
        try (TestServer s = TestServer.start(new FakePlugin()); RawNbd c = s.ready()) {
            invalidRequests(c);
            c.request(Nbd.CMD_FLAG_DF, Nbd.CMD_READ, 1, 0, 512);  // DF without structured replies
            c.expectError(1, Nbd.EINVAL);
            c.request(0, Nbd.CMD_CACHE, 2, 0, 512);               // cache not advertised
            c.expectError(2, Nbd.EINVAL);
            stillWorks(c, 3);
            c.disconnect();
        }
    }

    @Test
    void invalidRequestsStructuredReplies() throws Exception {
        try (TestServer s = TestServer.start(new FakePlugin()); RawNbd c = s.connect().start()) {
            c.ack(Nbd.OPT_STRUCTURED_REPLY);
            c.go("");
            invalidRequests(c);
            // DF is fine with structured replies
            assertEquals(512, c.read(Nbd.CMD_FLAG_DF, 1, 0, 512).length);
            c.request(0, Nbd.CMD_READ, 2, SIZE, 1);
            RawNbd.Chunk r = c.expectError(2, Nbd.EINVAL);
            assertTrue(r.message().contains("out of range"), r.message());
            c.disconnect();
        }
    }

    @Test
    void readonlyExport() throws Exception {
        FakePlugin p = new FakePlugin();
        try (TestServer s = TestServer.start(p, true, ServerSettings.defaults()); RawNbd c = s.connect().start()) {
            RawNbd.Export e = c.go("");
            assertTrue((e.flags() & Nbd.FLAG_READ_ONLY) != 0);
            assertEquals(0, e.flags() & (Nbd.FLAG_SEND_FUA | Nbd.FLAG_SEND_TRIM | Nbd.FLAG_SEND_WRITE_ZEROES));
            c.write(0, 1, 0, new byte[100]);
            c.expectError(1, Nbd.EPERM);
            c.request(0, Nbd.CMD_TRIM, 2, 0, 100);
            c.expectError(2, Nbd.EPERM);
            c.request(0, Nbd.CMD_WRITE_ZEROES, 3, 0, 100);
            c.expectError(3, Nbd.EPERM);
            c.write(Nbd.CMD_FLAG_FUA, 4, 0, new byte[100]);     // FUA not advertised
            c.expectError(4, Nbd.EINVAL);
            stillWorks(c, 5);
            c.disconnect();
        }
        assertEquals(0, p.calls("pwrite"));
    }

    @Test
    void fuaNotAdvertised() throws Exception {
        FakePlugin p = new FakePlugin();
        p.fua = FuaMode.NONE;
        try (TestServer s = TestServer.start(p); RawNbd c = s.connect().start()) {
            assertEquals(0, c.go("").flags() & Nbd.FLAG_SEND_FUA);
            c.write(Nbd.CMD_FLAG_FUA, 1, 0, new byte[16]);
            c.expectError(1, Nbd.EINVAL);
            c.write(0, 2, 0, new byte[16]);
            c.expectOk(2);
            c.disconnect();
        }
        assertEquals(1, p.calls("pwrite"));
    }

    @Test
    void fuaIsAcceptedOnEveryCommandWhenAdvertised() throws Exception {
        // nbd-protocol.md: with NBD_FLAG_SEND_FUA "the server MUST accept all commands with this bit set".
        FakePlugin p = new FakePlugin();
        p.cache = CacheMode.EMULATE;
        try (TestServer s = TestServer.start(p); RawNbd c = s.connect().start()) {
            assertTrue((c.go("").flags() & Nbd.FLAG_SEND_FUA) != 0);
            assertEquals(16, c.read(Nbd.CMD_FLAG_FUA, 1, 0, 16).length);
            c.request(Nbd.CMD_FLAG_FUA, Nbd.CMD_FLUSH, 2, 0, 0);
            c.expectOk(2);
            c.request(Nbd.CMD_FLAG_FUA, Nbd.CMD_CACHE, 3, 0, 16);
            c.expectOk(3);
            c.write(Nbd.CMD_FLAG_FUA, 4, 0, new byte[16]);
            c.expectOk(4);
            c.disconnect();
        }
        assertTrue(p.log.containsAll(List.of("pwrite 0 16 flags=0", "flush flags=0")));
    }

    @Test
    void writeZeroesTrimCacheAndFastZero() throws Exception {
        FakePlugin p = new FakePlugin();
        p.canZero = false; // emulated by pwrite; FAST_ZERO fails fast
        p.canFastZero = true;
        p.cache = CacheMode.NATIVE;
        p.threadModel = dev.jnbdkit.spi.ThreadModel.SERIALIZE_REQUESTS; // keep the log in order
        try (TestServer s = TestServer.start(p); RawNbd c = s.connect().start()) {
            int f = c.go("").flags();
            assertTrue((f & Nbd.FLAG_SEND_FAST_ZERO) != 0 && (f & Nbd.FLAG_SEND_CACHE) != 0 && (f & Nbd.FLAG_SEND_TRIM) != 0);
            c.write(0, 1, 0, new byte[] {1, 1, 1, 1});
            c.expectOk(1);
            c.request(Nbd.CMD_FLAG_FAST_ZERO, Nbd.CMD_WRITE_ZEROES, 2, 0, 4);
            c.expectError(2, Nbd.ENOTSUP);
            assertArrayEquals(new byte[] {1, 1, 1, 1}, c.read(3, 0, 4));
            c.request(Nbd.CMD_FLAG_NO_HOLE, Nbd.CMD_WRITE_ZEROES, 4, 1, 2);
            c.expectOk(4);
            assertArrayEquals(new byte[] {1, 0, 0, 1}, c.read(5, 0, 4));
            c.request(0, Nbd.CMD_TRIM, 6, 0, 4);
            c.expectOk(6);
            c.request(0, Nbd.CMD_CACHE, 7, 0, 4);
            c.expectOk(7);
            c.request(Nbd.CMD_FLAG_FAST_ZERO, Nbd.CMD_WRITE, 8, 0, 0);
            c.expectError(8, Nbd.EINVAL);
            c.disconnect();
        }
        assertTrue(p.log.contains("trim 0 4 flags=0") && p.log.contains("cache 0 4 flags=0"), p.log.toString());
    }

    @Test
    void pluginErrorsReachTheClient() throws Exception {
        FakePlugin p = new FakePlugin();
        try (TestServer s = TestServer.start(p); RawNbd c = s.connect().start()) {
            c.ack(Nbd.OPT_STRUCTURED_REPLY);
            c.go("");
            p.failWith.put("pread", Errno.EOVERFLOW);
            c.request(Nbd.CMD_FLAG_DF, Nbd.CMD_READ, 1, 0, 16);
            c.expectError(1, Nbd.EOVERFLOW);
            c.request(0, Nbd.CMD_READ, 2, 0, 16);
            RawNbd.Chunk r = c.expectError(2, Nbd.EINVAL);
            assertTrue(r.message().contains("pread failed"), r.message());
            p.failWith.put("pwrite", Errno.EDQUOT);
            c.write(0, 3, 0, new byte[8]);
            c.expectError(3, Nbd.ENOSPC);
            p.failWith.clear();
            stillWorks(c, 4);
            c.disconnect();
        }
    }

    @Test
    void oversizedWriteIsRefusedAndDrained() throws Exception {
        FakePlugin p = new FakePlugin();
        p.size = 256L << 20;
        p.storedBytes = 1 << 20;
        try (TestServer s = TestServer.start(p); RawNbd c = s.ready()) {
            byte[] big = new byte[(64 << 20) + 1];
            Arrays.fill(big, (byte) 0x33);
            c.write(0, 1, 0, big);
            c.expectError(1, Nbd.ENOMEM);
            stillWorks(c, 2);
            big = null;
            // exactly 64 MiB is allowed
            byte[] max = new byte[64 << 20];
            max[0] = 7;
            c.write(0, 3, 0, max);
            c.expectOk(3);
            assertArrayEquals(new byte[] {7, 0}, c.read(4, 0, 2));
            c.disconnect();
        }
        assertEquals(1, p.calls("pwrite"), "the oversized write never reached the plugin");
    }

    @Test
    void oversizedReadIsRefused() throws Exception {
        FakePlugin p = new FakePlugin();
        p.size = 1L << 40;
        p.storedBytes = 4096;
        try (TestServer s = TestServer.start(p); RawNbd c = s.ready()) {
            c.request(0, Nbd.CMD_READ, 1, 0, (64 << 20) + 1);
            c.expectError(1, Nbd.ENOMEM);
            c.request(0, Nbd.CMD_READ, 2, 0, 0xffffffffL);
            c.expectError(2, Nbd.ENOMEM);
            stillWorks(c, 3);
            c.disconnect();
        }
        assertEquals(1, p.calls("pread"));
    }

    @Test
    void extendedHeaders() throws Exception {
        FakePlugin p = new FakePlugin();
        p.size = 8L << 30;
        p.storedBytes = 1 << 20;
        p.canExtents = true;
        p.extentsBody = (off, sink) -> {
            sink.add(0, 4096, Extent.DATA);
            sink.add(4096, (8L << 30) - 4096, Extent.HOLE | Extent.ZERO);
        };
        try (TestServer s = TestServer.start(p); RawNbd c = s.connect().start()) {
            c.ack(Nbd.OPT_EXTENDED_HEADERS);
            assertEquals(2, c.exchange(Nbd.OPT_SET_META_CONTEXT, RawNbd.metaRequest("", Nbd.BASE_ALLOCATION)).size());
            RawNbd.Export e = c.go("");
            assertEquals(8L << 30, e.size());
            c.extended = true;

            c.write(0, 1, 100, new byte[] {5, 6, 7});
            c.expectOk(1);                                   // NONE chunk
            assertArrayEquals(new byte[] {5, 6, 7}, c.read(2, 100, 3));
            c.request(0, Nbd.CMD_FLUSH, 3, 0, 0);
            c.expectOk(3);

            // a 64-bit length: 5 GiB trim, passed whole to the plugin
            c.request(0, Nbd.CMD_TRIM, 4, 4096, 5L << 30);
            c.expectOk(4);
            assertTrue(p.log.contains("trim 4096 " + (5L << 30) + " flags=0"), p.log.toString());

            // BLOCK_STATUS_EXT over more than 4 GiB
            c.request(0, Nbd.CMD_BLOCK_STATUS, 5, 0, 6L << 30);
            RawNbd.Chunk r = c.reply();
            assertEquals(5, r.cookie());
            assertEquals(Nbd.REPLY_TYPE_BLOCK_STATUS_EXT, r.type());
            assertEquals(Nbd.REPLY_FLAG_DONE, r.flags());
            assertEquals(0, r.offset());
            ByteBuffer b = ByteBuffer.wrap(r.payload());
            assertEquals(Nbd.BASE_ALLOCATION_ID, b.getInt());
            assertEquals(2, b.getInt());
            assertEquals(4096, b.getLong());
            assertEquals(0, b.getLong());
            assertEquals((6L << 30) - 4096, b.getLong());
            assertEquals(3, b.getLong());
            assertEquals(0, b.remaining());

            // errors are ERROR chunks in the extended layout
            c.request(0, Nbd.CMD_READ, 6, 8L << 30, 1);
            c.expectError(6, Nbd.EINVAL);
            // a read longer than 2^32 is refused without allocating, and the connection goes on
            c.request(0, Nbd.CMD_READ, 7, 0, (1L << 32) + 512);
            c.expectError(7, Nbd.ENOMEM);
            c.request(0, Nbd.CMD_READ, 8, 0, Long.MIN_VALUE);
            c.expectError(8, Nbd.ENOMEM);
            assertEquals(3, c.read(9, 100, 3).length);
            c.disconnect();
        }
    }

    @Test
    void extendedHeadersRejectCompactRequests() throws Exception {
        try (TestServer s = TestServer.start(new FakePlugin()); RawNbd c = s.connect().start()) {
            c.ack(Nbd.OPT_EXTENDED_HEADERS);
            c.go("");
            c.extended = false; // send a 28-byte compact request
            c.request(0, Nbd.CMD_READ, 1, 0, 512);
            c.send(new byte[4]);
            c.expectClosed();
        }
    }

    @Test
    void parallelRequestsAllAnswered() throws Exception {
        FakePlugin p = new FakePlugin();
        try (TestServer s = TestServer.start(p); RawNbd c = s.ready()) {
            int n = 200;
            for (int i = 0; i < n; i++) c.write(0, i, i * 8L, ByteBuffer.allocate(8).putLong(i).array());
            boolean[] seen = new boolean[n];
            for (int i = 0; i < n; i++) {
                RawNbd.Chunk r = c.reply();
                assertEquals(0, r.status());
                assertTrue(!seen[(int) r.cookie()], "duplicate reply");
                seen[(int) r.cookie()] = true;
            }
            for (int i = 0; i < n; i += 37) {
                assertEquals(i, ByteBuffer.wrap(c.read(1000 + i, i * 8L, 8)).getLong());
            }
            c.disconnect();
        }
    }

    /**
     * A plugin that offers views of its memory for reads and writes: data goes both ways through
     * them, a failing pwriteViews is an error reply with the payload skipped, and a client that
     * vanishes mid-payload of a write costs nothing but its connection.
     */
    @Test
    void readAndWriteViews() throws Exception {
        java.lang.foreign.MemorySegment disk = java.lang.foreign.Arena.ofAuto().allocate(SIZE);
        FakePlugin p = new FakePlugin();
        // Views cut at every 4 KiB boundary, as a chunked store's would be.
        java.util.function.BiFunction<Long, Long, java.lang.foreign.MemorySegment[]> chunks = (count, offset) -> {
            List<java.lang.foreign.MemorySegment> l = new java.util.ArrayList<>();
            for (long at = offset; at < offset + count; at = (at / 4096 + 1) * 4096) {
                l.add(disk.asSlice(at, Math.min((at / 4096 + 1) * 4096, offset + count) - at));
            }
            return l.toArray(java.lang.foreign.MemorySegment[]::new);
        };
        p.viewsBody = chunks;
        p.writeViewsBody = chunks;
        try (TestServer s = TestServer.start(p)) {
            try (RawNbd c = s.ready()) {
                byte[] data = new byte[10_000];
                new java.util.Random(3).nextBytes(data);
                c.write(0, 1, 1000, data);
                c.expectOk(1);
                assertArrayEquals(data, disk.asSlice(1000, data.length).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
                assertArrayEquals(data, c.read(2, 1000, data.length));
                p.failWith.put("pwrite_views", Errno.ENOSPC);
                c.write(0, 3, 0, new byte[8192]);
                c.expectError(3, Nbd.ENOSPC);
                p.failWith.clear();
                assertArrayEquals(data, c.read(4, 1000, data.length), "the refused write's payload was skipped");
            }
            try (RawNbd c = s.ready()) {
                c.request(0, Nbd.CMD_WRITE, 5, 0, 65536);
                c.send(new byte[1000]); // and vanish, 64 KiB short
            }
            try (RawNbd c = s.ready()) {
                stillWorks(c, 6);
                c.disconnect();
            }
        }
        assertTrue(p.calls("pread_views") >= 3 && p.calls("pwrite_views") >= 3, "the views were used");
        assertEquals(0, p.calls("pwrite"), "no write went through a buffer");
    }
}
