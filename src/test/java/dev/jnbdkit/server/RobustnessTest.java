package dev.jnbdkit.server;

import dev.jnbdkit.it.RawNbd;
import dev.jnbdkit.backend.FakePlugin;
import dev.jnbdkit.protocol.Nbd;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.ByteBuffer;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Clients that misbehave, vanish or overload: each ends at most its own connection. */
@Timeout(120)
class RobustnessTest {
    @Test
    void badRequestMagicEndsOnlyThatConnection() throws Exception {
        try (TestServer s = TestServer.start(new FakePlugin()); RawNbd good = s.ready(); RawNbd bad = s.ready()) {
            ByteBuffer junk = ByteBuffer.allocate(28).putInt(0x12345678);
            bad.send(junk.array());
            bad.expectClosed();
            assertEquals(8, good.read(1, 0, 8).length);
            try (RawNbd fresh = s.ready()) {
                assertEquals(8, fresh.read(1, 0, 8).length);
                fresh.disconnect();
            }
            good.disconnect();
        }
    }

    @Test
    void clientVanishingMidWritePayload() throws Exception {
        FakePlugin p = new FakePlugin();
        try (TestServer s = TestServer.start(p)) {
            try (RawNbd c = s.ready()) {
                c.request(0, Nbd.CMD_WRITE, 1, 0, 1 << 20);
                c.send(new byte[100]);
            } // closed mid-payload
            s.awaitHandlesClosed();
            try (RawNbd c = s.ready()) {
                c.write(0, 2, 0, new byte[] {1});
                c.expectOk(2);
                c.disconnect();
            }
        }
        assertEquals(1, p.calls("pwrite"), "the truncated write never reached the plugin");
    }

    @Test
    void clientVanishingWhileItsRefusedPayloadIsDrained() throws Exception {
        FakePlugin p = new FakePlugin();
        try (TestServer s = TestServer.start(p, true, ServerSettings.defaults())) {
            try (RawNbd c = s.ready()) {
                c.request(0, Nbd.CMD_WRITE, 1, 0, 1 << 20);
                c.send(new byte[1000]);
            }
            s.awaitHandlesClosed();
            try (RawNbd c = s.ready()) {
                assertEquals(4, c.read(2, 0, 4).length);
                c.disconnect();
            }
        }
    }

    @Test
    void clientVanishingDuringTheHandshake() throws Exception {
        try (TestServer s = TestServer.start(new FakePlugin())) {
            try (RawNbd c = s.connect()) {
                c.greeting();
            }
            try (RawNbd c = s.connect().start()) {
                c.send(ByteBuffer.allocate(16).putLong(Nbd.IHAVEOPT).putInt(Nbd.OPT_GO).putInt(1000).array());
                c.send(new byte[10]);
            }
            try (RawNbd c = s.connect().start()) {
                c.send(new byte[7]); // half an option header
            }
            try (RawNbd c = s.ready()) {
                c.disconnect();
            }
        }
    }

    @Test
    void optionPayloadOverTheLimit() throws Exception {
        try (TestServer s = TestServer.start(new FakePlugin())) {
            try (RawNbd c = s.connect().start()) {
                // over what we store (1 MiB) but under the hard limit: skipped and refused, connection kept
                c.option(Nbd.OPT_GO, new byte[2 << 20]);
                RawNbd.OptReply r = c.optReply();
                assertEquals(Nbd.REP_ERR_TOO_BIG, r.type());
                c.go("");
                c.disconnect();
            }
            try (RawNbd c = s.connect().start()) {
                // over the hard limit: the server hangs up rather than read 64 MiB+
                c.send(ByteBuffer.allocate(16).putLong(Nbd.IHAVEOPT).putInt(Nbd.OPT_GO).putInt((64 << 20) + 1).array());
                c.expectClosed();
            }
            try (RawNbd c = s.connect().start()) {
                c.send(ByteBuffer.allocate(16).putLong(Nbd.IHAVEOPT).putInt(Nbd.OPT_LIST).putInt(-1).array());
                c.expectClosed();
            }
            try (RawNbd c = s.ready()) {
                c.disconnect();
            }
        }
    }

    @Test
    void badOptionMagicEndsTheConnection() throws Exception {
        try (TestServer s = TestServer.start(new FakePlugin())) {
            try (RawNbd c = s.connect().start()) {
                c.send(ByteBuffer.allocate(16).putLong(Nbd.NBDMAGIC).putInt(Nbd.OPT_GO).putInt(0).array());
                c.expectClosed();
            }
            try (RawNbd c = s.ready()) {
                c.disconnect();
            }
        }
    }

    @Test
    void endlessOptionsAreCutOff() throws Exception {
        try (TestServer s = TestServer.start(new FakePlugin()); RawNbd c = s.connect().start()) {
            int answered = 0;
            try {
                for (int i = 0; i < 5000; i++) {
                    c.option(Nbd.OPT_STRUCTURED_REPLY, new byte[0]);
                    assertEquals(Nbd.REP_ACK, c.optReply().type());
                    answered++;
                }
            } catch (java.io.IOException expected) {
                // the server hung up
            }
            assertEquals(true, answered < 5000, "server accepted unlimited options");
        }
    }

    @Test
    void shutdownWithClientsInEveryStateReturns() throws Exception {
        FakePlugin p = new FakePlugin();
        TestServer s = TestServer.start(p);
        RawNbd fresh = s.connect();
        RawNbd greeted = s.connect();
        greeted.greeting();
        RawNbd negotiating = s.connect().start();
        negotiating.ack(Nbd.OPT_STRUCTURED_REPLY);
        RawNbd idle = s.ready();
        RawNbd midPayload = s.ready();
        midPayload.request(0, Nbd.CMD_WRITE, 1, 0, 4096);
        midPayload.send(new byte[10]);
        try {
            s.close(); // requestShutdown(); serve() must return and every handle be closed
            idle.expectClosed();
            midPayload.expectClosed();
            negotiating.expectClosed();
        } finally {
            for (RawNbd c : new RawNbd[] {fresh, greeted, negotiating, idle, midPayload}) c.close();
        }
    }

    @Test
    void unknownOptionFromANonFixedClientEndsTheConnection() throws Exception {
        try (TestServer s = TestServer.start(new FakePlugin()); RawNbd c = s.connect()) {
            c.greeting();
            c.clientFlags(0);
            c.option(99, new byte[0]);
            c.expectClosed();
        }
    }
}
