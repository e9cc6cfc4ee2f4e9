package dev.jnbdkit.server;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Reading ahead must hand out exactly the stream's bytes, in order, however the reads split them. */
class RequestReaderTest {
    /** A stream that returns its bytes in pieces of random size (1 .. maxPiece), then end of stream. */
    private static final class Dribble implements Transport {
        private final byte[] data;
        private final Random rnd;
        private final int maxPiece;
        private int pos;
        int reads;

        Dribble(byte[] data, long seed, int maxPiece) {
            this.data = data;
            this.rnd = new Random(seed);
            this.maxPiece = maxPiece;
        }

        @Override
        public int read(ByteBuffer dst) {
            if (pos == data.length) return -1;
            reads++;
            int n = Math.min(Math.min(dst.remaining(), 1 + rnd.nextInt(maxPiece)), data.length - pos);
            dst.put(data, pos, n);
            pos += n;
            return n;
        }

        @Override public void writeFully(ByteBuffer... srcs) { throw new UnsupportedOperationException(); }
        @Override public void shutdownInput() {}
        @Override public String peer() { return "test"; }
        @Override public void close() {}
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] a = new byte[b.remaining()];
        b.get(a);
        return a;
    }

    @Test
    void headersPayloadsAndSkipsComeOutInOrder() throws IOException {
        for (long seed = 0; seed < 50; seed++) {
            Random rnd = new Random(seed);
            byte[] stream = new byte[300_000];
            rnd.nextBytes(stream);
            Dribble t = new Dribble(stream, seed, seed % 2 == 0 ? 40 : 100_000);
            RequestReader in = new RequestReader(t);
            int pos = 0;
            while (pos + 28 <= stream.length) {
                ByteBuffer h = in.next(28);
                assertNotNull(h);
                assertArrayEquals(java.util.Arrays.copyOfRange(stream, pos, pos + 28), bytes(h), "header at " + pos);
                pos += 28;
                int len = Math.min(rnd.nextInt(70_000), stream.length - pos);
                switch (rnd.nextInt(3)) {
                    case 0 -> { // one buffer
                        ByteBuffer d = ByteBuffer.allocateDirect(len);
                        assertTrue(in.readFully(d));
                        assertArrayEquals(java.util.Arrays.copyOfRange(stream, pos, pos + len), bytes(d.flip()));
                    }
                    case 1 -> { // scattered over pieces, as into a plugin's chunks
                        int a = len / 3;
                        ByteBuffer[] parts = {ByteBuffer.allocate(a), ByteBuffer.allocate(len - a)};
                        assertTrue(in.readFully(parts));
                        byte[] got = new byte[len];
                        System.arraycopy(parts[0].array(), 0, got, 0, a);
                        System.arraycopy(parts[1].array(), 0, got, a, len - a);
                        assertArrayEquals(java.util.Arrays.copyOfRange(stream, pos, pos + len), got);
                    }
                    default -> assertTrue(in.skip(len, ByteBuffer.allocate(4096)));
                }
                pos += len;
            }
        }
    }

    @Test
    void pipelinedHeadersNeedOneReadBetweenThem() throws IOException {
        byte[] stream = new byte[16 * 28];
        Dribble t = new Dribble(stream, 1, 1 << 20); // everything there at once
        RequestReader in = new RequestReader(t);
        for (int i = 0; i < 16; i++) assertNotNull(in.next(28));
        assertEquals(1, t.reads, "sixteen headers that arrived together take one read");
    }

    @Test
    void endOfStreamInsideAHeaderOrAPayload() throws IOException {
        RequestReader in = new RequestReader(new Dribble(new byte[40], 2, 7));
        assertNotNull(in.next(28));
        assertNull(in.next(28), "12 bytes then the end: no header");
        RequestReader in2 = new RequestReader(new Dribble(new byte[28 + 100], 3, 7));
        assertNotNull(in2.next(28));
        assertFalse(in2.readFully(ByteBuffer.allocate(101)), "a payload one byte short");
    }
}
