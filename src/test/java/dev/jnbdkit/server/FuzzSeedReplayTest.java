package dev.jnbdkit.server;

import dev.jnbdkit.it.RawNbd;
import dev.jnbdkit.backend.FakePlugin;
import dev.jnbdkit.protocol.Nbd;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Replays real client transcripts (what a client sent after the greeting; the handshake fuzzer's
 * seeds in src/test/resources/dev/jnbdkit/fuzz/HandshakeFuzzTestInputs/handshake) against the server, whole, truncated at every byte and with random bytes flipped.
 * The server must answer the whole transcripts correctly, close every connection once the client
 * stops sending, and keep serving.
 */
@Timeout(300)
class FuzzSeedReplayTest {
    static final String[] SEEDS = {
        "newstyle-cflags.bin", "newstyle-cflags-exportname.bin", "newstyle-cflags-exportname-read4.bin",
        "newstyle-cflags-go.bin", "newstyle-cflags-go-read.bin", "newstyle-cflags-go-read4.bin",
        "newstyle-cflags-go-write.bin",
    };

    static TestServer server;

    @BeforeAll
    static void start() throws IOException {
        server = TestServer.start(new FakePlugin());
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
    }

    static byte[] seed(String name) throws IOException {
        try (InputStream in = FuzzSeedReplayTest.class.getResourceAsStream("/dev/jnbdkit/fuzz/HandshakeFuzzTestInputs/handshake/" + name)) {
            assertNotNull(in, name);
            return in.readAllBytes();
        }
    }

    /** Sends a transcript after the greeting, closes our side, returns all the server said after the greeting. */
    static byte[] replay(byte[] transcript) throws IOException {
        try (RawNbd c = server.connect()) {
            c.greeting();
            try {
                c.send(transcript);
                c.shutdownOutput();
            } catch (IOException e) {
                // the server may hang up before reading everything
            }
            return c.readToEnd();
        }
    }

    static void serverStillServes() throws IOException {
        try (RawNbd c = server.ready()) {
            assertEquals(4, c.read(1, 0, 4).length);
            c.disconnect();
        }
    }

    /** Checks the server's answer to a complete transcript, message by message. */
    static void check(byte[] sent, byte[] got) {
        ByteBuffer in = ByteBuffer.wrap(sent);
        ByteBuffer out = ByteBuffer.wrap(got);
        int cflags = in.getInt();
        boolean noZeroes = (cflags & Nbd.FLAG_C_NO_ZEROES) != 0;
        boolean transmission = false;
        while (in.remaining() >= 16 && !transmission) {
            assertEquals(Nbd.IHAVEOPT, in.getLong());
            int option = in.getInt();
            int len = in.getInt();
            in.position(in.position() + len);
            if (option == Nbd.OPT_EXPORT_NAME) {
                assertEquals(1 << 20, out.getLong(), "export size");
                out.getShort();
                if (!noZeroes) out.position(out.position() + 124);
                transmission = true;
                continue;
            }
            while (true) {
                assertEquals(Nbd.OPTION_REPLY_MAGIC, out.getLong());
                assertEquals(option, out.getInt());
                int type = out.getInt();
                int replyLength = out.getInt();
                out.position(out.position() + replyLength);
                if (type == Nbd.REP_ACK || type < 0) {
                    transmission = option == Nbd.OPT_GO && type == Nbd.REP_ACK;
                    break;
                }
            }
        }
        int requests = 0;
        while (transmission && in.remaining() >= 28) {
            assertEquals(Nbd.REQUEST_MAGIC, in.getInt());
            in.getShort();
            int type = in.getShort();
            long cookie = in.getLong();
            in.getLong();
            int len = in.getInt();
            if (type == Nbd.CMD_WRITE) in.position(in.position() + len);
            requests++;
            assertEquals(Nbd.SIMPLE_REPLY_MAGIC, out.getInt(), "reply " + requests);
            assertEquals(0, out.getInt(), "error of reply " + requests);
            assertEquals(cookie, out.getLong());
            if (type == Nbd.CMD_READ) out.position(out.position() + len);
        }
        assertEquals(0, in.remaining(), "transcript fully understood");
        assertEquals(0, out.remaining(), "no unexpected bytes from the server");
    }

    @TestFactory
    Stream<DynamicTest> wholeTranscripts() {
        return Stream.of(SEEDS).map(name -> DynamicTest.dynamicTest(name, () -> {
            byte[] t = seed(name);
            check(t, replay(t));
            serverStillServes();
        }));
    }

    @Test
    void writeTranscriptReallyWrites() throws IOException {
        replay(seed("newstyle-cflags-go-write.bin"));
        try (RawNbd c = server.ready()) {
            assertEquals("0123456789abcdef", new String(c.read(1, 0, 16), java.nio.charset.StandardCharsets.US_ASCII));
            c.disconnect();
        }
    }

    @TestFactory
    Stream<DynamicTest> truncatedEverywhere() {
        return Stream.of(SEEDS).map(name -> DynamicTest.dynamicTest(name, () -> {
            byte[] t = seed(name);
            for (int cut = 0; cut < t.length; cut++) replay(java.util.Arrays.copyOf(t, cut));
            serverStillServes();
        }));
    }

    @Test
    void randomMutations() throws IOException {
        Random rnd = new Random(0x6e626421L);
        List<byte[]> seeds = new ArrayList<>();
        for (String s : SEEDS) seeds.add(seed(s));
        for (int i = 0; i < 400; i++) {
            byte[] t = seeds.get(rnd.nextInt(seeds.size())).clone();
            if (t.length == 0) continue;
            int flips = 1 + rnd.nextInt(3);
            for (int f = 0; f < flips; f++) {
                int at = rnd.nextInt(t.length);
                t[at] = rnd.nextBoolean() ? (byte) rnd.nextInt(256) : (byte) (t[at] ^ (1 << rnd.nextInt(8)));
            }
            replay(t);
            if (i % 50 == 0) serverStillServes();
        }
        serverStillServes();
        assertTrue(true);
    }
}
