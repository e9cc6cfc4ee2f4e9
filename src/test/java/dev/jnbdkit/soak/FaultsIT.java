package dev.jnbdkit.soak;

import dev.jnbdkit.it.Server;
import dev.jnbdkit.it.RawNbd;
import dev.jnbdkit.protocol.Nbd;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Python plugins that fail: one raises at random in pread/pwrite/flush (each failure is an EIO
 * for that request only, the connection and the data stay good, every Python handle opened is
 * closed, also for the half of the connections whose client vanishes mid-request); one never returns from some reads (other requests, on the same connection and on
 * others, are still served, and SIGTERM still ends the server within the shutdown grace).
 */
class FaultsIT {
    static final int REGION = 1 << 20;

    static long seconds(long shortRun, long longRun) {
        return Boolean.getBoolean("jnbdkit.long") ? longRun : shortRun;
    }

    static String script(String name) throws Exception {
        return Path.of(FaultsIT.class.getResource("/soak/" + name).toURI()).toString();
    }

    @Test
    @Timeout(value = 15, unit = TimeUnit.MINUTES)
    void pluginRaisingAtRandom() throws Exception {
        long seconds = seconds(8, 300);
        int clients = 16;
        Path dir = SoakServer.workDir("flaky");
        Path counts = dir.resolve("handles.txt");
        Files.deleteIfExists(counts);
        try (Server server = SoakServer.start(dir, List.of(), "python", script("flaky.py"),
                "size=" + (clients * REGION), "rate=0.1", "counts=" + counts)) {
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            AtomicLong ok = new AtomicLong(), eio = new AtomicLong(), connections = new AtomicLong();
            ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < clients; i++) {
                int id = i;
                threads.add(Thread.ofPlatform().start(() -> {
                    try {
                        flakyClient(server.socket(), id, end, ok, eio, connections);
                    } catch (Throwable t) {
                        failures.add(new AssertionError("client " + id, t));
                    }
                }));
            }
            for (Thread t : threads) t.join();
            if (!failures.isEmpty()) {
                AssertionError e = new AssertionError("clients failed; log:\n" + SoakIT.tail(server.log()));
                failures.forEach(e::addSuppressed);
                throw e;
            }
            assertEquals(0, SoakServer.awaitNoConnectionThreads(server, "python", 30), "connection threads left");
            assertTrue(server.isAlive(), "server died");

            List<String> lines = Files.readAllLines(counts);
            Set<String> open = new HashSet<>();
            int opens = 0, closes = 0;
            for (String l : lines) {
                String[] w = l.split(" ");
                if (w[0].equals("open")) { opens++; assertTrue(open.add(w[1]), "handle opened twice: " + l); }
                else { closes++; assertTrue(open.remove(w[1]), "close of a handle not open: " + l); }
            }
            long stop = SoakServer.terminate(server, 60);
            String report = String.format("raising plugin (rate 0.1): %d s, %d clients, %d connections: %d requests ok, %d EIO;"
                    + " Python handles opened %d, closed %d; SIGTERM exit %d ms", seconds, clients, connections.get(),
                    ok.get(), eio.get(), opens, closes, stop);
            System.out.println(report);
            Results.record("FaultsIT", report);
            assertEquals(Set.of(), open, "Python handles never closed");
            assertEquals(connections.get(), opens, "one handle per connection");
            assertTrue(eio.get() > 0 && ok.get() > eio.get());
        }
    }

    static void flakyClient(Path socket, int id, long end, AtomicLong ok, AtomicLong eio, AtomicLong connections)
            throws Exception {
        Random rnd = new Random(id);
        long base = (long) id * REGION;
        byte[] model = new byte[REGION];
        while (System.nanoTime() < end) {
            connections.incrementAndGet();
            try (RawNbd c = RawNbd.open(socket, "")) {
                for (int op = 0; op < 50 && System.nanoTime() < end; op++) {
                    int len = 1 << (9 + rnd.nextInt(7));
                    int off = rnd.nextInt(REGION - len + 1);
                    int e;
                    switch (rnd.nextInt(5)) {
                        case 0, 1 -> {
                            byte[] data = new byte[len];
                            rnd.nextBytes(data);
                            e = c.write(base + off, data, 0);
                            if (e == 0) System.arraycopy(data, 0, model, off, len);
                        }
                        case 2 -> e = c.flush();
                        default -> {
                            byte[] got = new byte[len];
                            e = c.read(base + off, got);
                            if (e == 0 && !Arrays.equals(got, 0, len, model, off, off + len)) {
                                throw new AssertionError("data mismatch at " + (base + off));
                            }
                        }
                    }
                    if (e == 0) ok.incrementAndGet();
                    else if (e == Nbd.EIO) eio.incrementAndGet();
                    else throw new AssertionError("unexpected NBD error " + e);
                }
                switch (rnd.nextInt(4)) {
                    // vanish mid-request: the handle must still be closed
                    case 0 -> c.send(c.header(0, Nbd.CMD_WRITE, 999, base, 65536), java.nio.ByteBuffer.allocate(1000));
                    case 1 -> c.send(c.header(0, Nbd.CMD_READ, 999, base, 65536)); // reply never read
                    default -> c.disconnect();
                }
            }
        }
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void pluginThatHangs() throws Exception {
        boolean longRun = Boolean.getBoolean("jnbdkit.long");
        // The short form shortens the shutdown grace for in-flight requests (default 10 s).
        int grace = longRun ? 10 : 3;
        List<String> env = longRun ? List.of() : List.of("JAVA_TOOL_OPTIONS=-Djnbdkit.shutdownGraceSeconds=" + grace);
        Path dir = SoakServer.workDir("hang");
        try (Server server = SoakServer.start(dir, env, "python", script("hang.py"))) {
            long hangAt = 6L << 20;
            RawNbd stuck = RawNbd.open(server.socket(), "");
            long stuckCookie = stuck.request(0, Nbd.CMD_READ, hangAt, 4096, null);
            // A second hung request from a client that then leaves.
            try (RawNbd leaver = RawNbd.open(server.socket(), "")) {
                leaver.request(0, Nbd.CMD_READ, hangAt, 512, null);
            }
            Thread.sleep(200);

            // The same connection still serves other requests (they run on other workers).
            byte[] pattern = new byte[4096];
            new Random(1).nextBytes(pattern);
            long w = stuck.request(0, Nbd.CMD_WRITE, 0, pattern.length, pattern);
            assertEquals(0, stuck.reply(w));
            long r = stuck.request(0, Nbd.CMD_READ, 0, 4096, null);
            assertEquals(0, stuck.reply(r));
            byte[] got = stuck.readFully(4096).array();
            assertTrue(Arrays.equals(pattern, got));

            // Other connections are served.
            long t0 = System.nanoTime();
            for (int i = 0; i < 8; i++) {
                try (RawNbd c = RawNbd.open(server.socket(), "")) {
                    byte[] data = new byte[8192];
                    Arrays.fill(data, (byte) i);
                    assertEquals(0, c.write(1 << 20, data, 0));
                    byte[] back = new byte[8192];
                    assertEquals(0, c.read(1 << 20, back));
                    assertTrue(Arrays.equals(data, back));
                    c.disconnect();
                }
            }
            long othersMillis = (System.nanoTime() - t0) / 1_000_000;

            long stopMillis = SoakServer.terminate(server, grace + 30);
            stuck.close();
            String report = String.format("hanging plugin: 2 requests hung; same connection and 8 other connections served"
                    + " (%d ms); SIGTERM exit %d ms with a shutdown grace of %d s; stuck cookie %d never answered",
                    othersMillis, stopMillis, grace, stuckCookie);
            System.out.println(report);
            Results.record("FaultsIT", report);
            assertTrue(stopMillis < (grace + 15) * 1000L, "SIGTERM took " + stopMillis + " ms");
        }
    }
}
