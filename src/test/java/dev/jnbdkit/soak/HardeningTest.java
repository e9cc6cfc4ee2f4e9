package dev.jnbdkit.soak;

import dev.jnbdkit.backend.Stack;
import dev.jnbdkit.backend.FakePlugin;
import dev.jnbdkit.it.RawNbd;
import dev.jnbdkit.protocol.Nbd;
import dev.jnbdkit.server.Listener;
import dev.jnbdkit.server.Server;
import dev.jnbdkit.server.ServerSettings;
import dev.jnbdkit.spi.Export;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The hardening rules of the handshake and of request validation, on an in-process server with
 * a counting plugin: the handshake deadline, the cap on options, no plugin callback but
 * list_exports/default_export before the client chooses an export, export-name limits, oversized
 * requests refused without allocating, and garbage clients leaving nothing behind.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HardeningTest {
    /** Handshake.MAX_OPTIONS. */
    static final int MAX_OPTIONS = 1024;

    @TempDir Path tmp;
    FakePlugin plugin;
    Server server;
    Listener listener;
    Path socket;
    Thread serving;

    void start(FakePlugin p, int threads) throws IOException {
        plugin = p;
        socket = tmp.resolve("sock");
        listener = Listener.unix(socket);
        server = new Server(Stack.of(p, false), new ServerSettings(false, false, 0xffff, threads));
        serving = Thread.ofPlatform().daemon().name("serve").start(() -> server.serve(listener));
    }

    @AfterEach
    void stop() throws Exception {
        if (server == null) return;
        server.requestShutdown();
        serving.join(20_000);
        assertFalse(serving.isAlive(), "server did not stop");
        assertEquals(0, plugin.openHandles.get(), "plugin handles leaked");
    }

    RawNbd negotiating() throws IOException {
        RawNbd c = RawNbd.connect(socket);
        c.greeting();
        c.send(ByteBuffer.allocate(4).putInt(Nbd.FLAG_C_FIXED_NEWSTYLE | Nbd.FLAG_C_NO_ZEROES).flip());
        return c;
    }

    static List<Thread> connectionThreads() {
        List<Thread> l = new ArrayList<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) if (t.getName().startsWith("fake[")) l.add(t);
        return l;
    }

    static void awaitNoConnectionThreads() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (!connectionThreads().isEmpty()) {
            if (System.nanoTime() > deadline) throw new AssertionError("connection threads left: " + connectionThreads());
            Thread.sleep(20);
        }
    }

    /** Milliseconds until the server closes {@code c} (reads end of stream or a reset). */
    static long millisUntilClosed(RawNbd c, long t0) {
        while (!c.closedByServer()) {
            // bytes (replies) are read and dropped
        }
        return (System.nanoTime() - t0) / 1_000_000;
    }

    // ---- handshake deadline ----

    @Test
    void silentClientIsDisconnectedAtTheDeadline() throws Exception {
        start(new FakePlugin(), 16);
        server.setHandshakeDeadline(Duration.ofMillis(1000));
        long t0 = System.nanoTime();
        try (RawNbd c = RawNbd.connect(socket)) {
            c.greeting();
            long ms = millisUntilClosed(c, t0);
            assertTrue(ms >= 900 && ms < 5000, "closed after " + ms + " ms");
        }
        awaitNoConnectionThreads();
    }

    @Test
    void busyClientThatNeverChoosesIsDisconnectedToo() throws Exception {
        start(new FakePlugin(), 16);
        server.setHandshakeDeadline(Duration.ofMillis(1000));
        long t0 = System.nanoTime();
        try (RawNbd c = negotiating()) {
            try {
                for (int i = 0; i < 40; i++) {
                    c.option(Nbd.OPT_STRUCTURED_REPLY, new byte[0]);
                    assertEquals(Nbd.REP_ACK, c.optReply().type());
                    Thread.sleep(100);
                }
                throw new AssertionError("still negotiating after 4 s");
            } catch (IOException expected) {
                long ms = (System.nanoTime() - t0) / 1_000_000;
                assertTrue(ms < 5000, "closed after " + ms + " ms");
            }
        }
        awaitNoConnectionThreads();
    }

    @Test
    void clientThatDoesNotReadItsRepliesCostsNoThreadPastTheDeadline() throws Exception {
        FakePlugin p = new FakePlugin();
        p.exports = new ArrayList<>();
        for (int i = 0; i < 500; i++) p.exports.add(new Export(i + "x".repeat(4000), null));
        start(p, 16);
        server.setHandshakeDeadline(Duration.ofMillis(1500));
        try (RawNbd c = negotiating()) {
            for (int i = 0; i < 20; i++) c.option(Nbd.OPT_LIST, new byte[0]); // 40 MB of replies, never read
            Thread.sleep(500);
            List<Thread> blocked = connectionThreads();
            assertEquals(1, blocked.size(), "the connection's thread");
            assertEquals(Thread.State.RUNNABLE, blocked.getFirst().getState(), "blocked writing");
            awaitNoConnectionThreads(); // the deadline freed it although the client is still connected
        }
    }

    @Test
    void clientThatChoseAnExportIsNotCutOff() throws Exception {
        start(new FakePlugin(), 16);
        server.setHandshakeDeadline(Duration.ofMillis(500));
        try (RawNbd c = RawNbd.open(socket, "")) {
            Thread.sleep(1500);
            assertEquals(0, c.read(0, new byte[512]));
            c.disconnect();
        }
    }

    // ---- option cap ----

    @Test
    void optionsAreCappedPerHandshake() throws Exception {
        start(new FakePlugin(), 16);
        try (RawNbd c = negotiating()) {
            for (int i = 0; i < MAX_OPTIONS - 1; i++) {
                c.option(Nbd.OPT_LIST, new byte[0]);
                while (c.optReply().type() != Nbd.REP_ACK) { /* the exports */ }
            }
            c.go(""); // option number MAX_OPTIONS: still allowed
            assertEquals(0, c.read(0, new byte[512]));
            c.disconnect();
        }
        try (RawNbd c = negotiating()) {
            for (int i = 0; i < MAX_OPTIONS; i++) {
                c.option(99, new byte[0]); // refused options count too
                assertEquals(Nbd.REP_ERR_UNSUP, c.optReply().type());
            }
            try {
                c.option(Nbd.OPT_STRUCTURED_REPLY, new byte[0]);
            } catch (IOException alreadyClosed) {
                // the server hangs up as soon as the cap is reached
            }
            assertTrue(c.closedByServer(), "option " + (MAX_OPTIONS + 1) + " was answered");
        }
        assertEquals(1, plugin.calls("open"), "only the GO opened the export");
    }

    // ---- no plugin callbacks before an export is chosen ----

    @Test
    void noPluginCallbackButListingBeforeAnExportIsChosen() throws Exception {
        FakePlugin p = new FakePlugin();
        p.exports = List.of(Export.named(""), Export.named("other"));
        start(p, 16);
        byte[] none = new byte[0];
        for (boolean abort : new boolean[] {true, false}) {
            try (RawNbd c = negotiating()) {
                c.option(Nbd.OPT_LIST, none);
                while (c.optReply().type() != Nbd.REP_ACK) { /* the exports */ }
                c.option(Nbd.OPT_STARTTLS, none);
                c.optReply();
                c.option(Nbd.OPT_STRUCTURED_REPLY, none);
                c.optReply();
                byte[] meta = ByteBuffer.allocate(4 + 4 + 4 + 15).putInt(0).putInt(1).putInt(15)
                        .put(Nbd.BASE_ALLOCATION.getBytes()).array();
                for (int opt : new int[] {Nbd.OPT_LIST_META_CONTEXT, Nbd.OPT_SET_META_CONTEXT}) {
                    c.option(opt, meta);
                    while (c.optReply().type() != Nbd.REP_ACK) { /* contexts */ }
                }
                c.option(Nbd.OPT_EXTENDED_HEADERS, none);
                c.optReply();
                c.option(99, none);
                c.optReply();
                c.option(Nbd.OPT_INFO, new byte[3]); // malformed INFO: refused before any callback
                assertEquals(Nbd.REP_ERR_INVALID, c.optReply().type());
                if (abort) {
                    c.option(Nbd.OPT_ABORT, none);
                    c.optReply();
                }
            }
        }
        Thread.sleep(200);
        Set<String> called = new HashSet<>(p.calls.keySet());
        called.removeAll(Set.of("list_exports", "default_export"));
        assertEquals(Set.of(), called, "callbacks before the client chose an export");

        try (RawNbd c = negotiating()) {
            c.option(Nbd.OPT_INFO, RawNbd.exportRequest("other"));
            while (c.optReply().type() != Nbd.REP_ACK) { /* info */ }
            c.option(Nbd.OPT_ABORT, none);
            c.optReply();
        }
        Thread.sleep(200);
        assertEquals(1, p.calls("open"), "INFO opens the export");
        assertEquals(1, p.calls("close"), "…and closes it");
    }

    // ---- export names ----

    @Test
    void exportNamesOver4096BytesAreRefusedBeforeOpen() throws Exception {
        start(new FakePlugin(), 16);
        String max = "n".repeat(Nbd.MAX_STRING);
        try (RawNbd c = negotiating()) {
            c.go(max);
            c.disconnect();
        }
        assertEquals(1, plugin.calls("open"));
        try (RawNbd c = negotiating()) {
            c.option(Nbd.OPT_GO, RawNbd.exportRequest(max + "n"));
            assertEquals(Nbd.REP_ERR_INVALID, c.optReply().type());
            c.option(Nbd.OPT_INFO, RawNbd.exportRequest("é".repeat(2049))); // 4098 bytes in UTF-8
            assertEquals(Nbd.REP_ERR_INVALID, c.optReply().type());
            c.go(""); // and the connection is still good
            c.disconnect();
        }
        try (RawNbd c = negotiating()) {
            c.option(Nbd.OPT_EXPORT_NAME, (max + "n").getBytes()); // no way to refuse: disconnect
            assertTrue(c.closedByServer());
        }
        Thread.sleep(100);
        assertEquals(2, plugin.calls("open"), "the long names were never opened");
    }

    // ---- oversized requests ----

    @Test
    void requestsOver64MiBAreRefusedWithoutAllocating() throws Exception {
        FakePlugin p = new FakePlugin();
        p.size = 1L << 40;
        p.canExtents = true;
        start(p, 1); // requests served in the connection's own thread: its allocation is measured
        var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        try (RawNbd c = negotiating()) {
            c.option(Nbd.OPT_EXTENDED_HEADERS, new byte[0]);
            assertEquals(Nbd.REP_ACK, c.optReply().type());
            c.go("");
            Thread conn = connectionThreads().getFirst();
            long before = mx.getThreadAllocatedBytes(conn.threadId());

            long over = Nbd.MAX_REQUEST_SIZE + 1L;
            sendExtended(c, 0, Nbd.CMD_READ, 1, 0, over);
            assertEquals(Nbd.ENOMEM, extendedError(c, 1));
            sendExtended(c, 0, Nbd.CMD_READ, 2, 0, 1L << 40);
            assertEquals(Nbd.ENOMEM, extendedError(c, 2));
            // A refused write's payload is read and dropped in small steps: the stream stays in sync.
            sendExtended(c, 0, Nbd.CMD_WRITE, 3, 0, over);
            ByteBuffer zeros = ByteBuffer.allocate(1 << 20);
            for (long left = over; left > 0; left -= zeros.limit()) {
                zeros.clear().limit((int) Math.min(left, zeros.capacity()));
                c.send(zeros);
            }
            assertEquals(Nbd.ENOMEM, extendedError(c, 3));
            sendExtended(c, 0, Nbd.CMD_READ, 4, 0, 4096);
            assertEquals(0, extendedError(c, 4), "connection in sync after the refused write");

            long allocated = mx.getThreadAllocatedBytes(conn.threadId()) - before;
            assertTrue(allocated < (4L << 20), "connection thread allocated " + allocated + " bytes");
            assertEquals(1, p.calls("pread"), "only the valid read reached the plugin");
            assertEquals(0, p.calls("pwrite"));

            // A write too large even to skip ends the connection.
            sendExtended(c, 0, Nbd.CMD_WRITE, 5, 0, 4L << 30);
            assertTrue(c.closedByServer());
        }
    }

    static void sendExtended(RawNbd c, int flags, int type, long cookie, long offset, long length) throws IOException {
        c.send(ByteBuffer.allocate(32).putInt(Nbd.EXTENDED_REQUEST_MAGIC).putShort((short) flags).putShort((short) type)
                .putLong(cookie).putLong(offset).putLong(length).flip());
    }

    /** Reads reply chunks for {@code cookie} until the final one; returns the error (0 = success). */
    static int extendedError(RawNbd c, long cookie) throws IOException {
        int error = 0;
        while (true) {
            ByteBuffer h = c.readFully(32);
            assertEquals(Nbd.EXTENDED_REPLY_MAGIC, h.getInt());
            int flags = Short.toUnsignedInt(h.getShort());
            int type = Short.toUnsignedInt(h.getShort());
            assertEquals(cookie, h.getLong());
            h.getLong();
            long len = h.getLong();
            assertTrue(len <= (1 << 20), "chunk of " + len + " bytes");
            ByteBuffer payload = c.readFully((int) len);
            if ((type & 0x8000) != 0) error = payload.getInt();
            if ((flags & Nbd.REPLY_FLAG_DONE) != 0) return error;
        }
    }

    // ---- garbage ----

    @Test
    void garbageClientsLeaveNoThreadHandleOrDescriptor() throws Exception {
        start(new FakePlugin(), 16);
        try (RawNbd c = RawNbd.open(socket, "")) { c.disconnect(); } // warm-up
        awaitNoConnectionThreads();
        int fds0 = fds();
        Random rnd = new Random(42);
        for (int i = 0; i < 300; i++) {
            try (RawNbd c = i % 2 == 0 ? RawNbd.connect(socket) : negotiating()) {
                byte[] junk = new byte[rnd.nextInt(200)];
                rnd.nextBytes(junk);
                if (i % 3 == 0) {
                    // valid option header, random payload
                    c.option(rnd.nextInt(12), junk);
                } else {
                    c.send(ByteBuffer.wrap(junk));
                }
            } catch (IOException hungUp) {
                // the server may close first
            }
        }
        awaitNoConnectionThreads();
        assertEquals(0, plugin.openHandles.get());
        int fds = fds();
        assertTrue(fds <= fds0 + 2, "descriptors: " + fds0 + " -> " + fds);
    }

    static int fds() throws IOException {
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            return (int) s.count();
        }
    }
}
