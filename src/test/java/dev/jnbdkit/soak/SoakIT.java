package dev.jnbdkit.soak;

import dev.jnbdkit.it.Server;
import dev.jnbdkit.it.RawNbd;
import dev.jnbdkit.protocol.Nbd;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * 64 concurrent connections doing verified random reads and writes against the real server
 * (memory plugin), while other clients connect and vanish at random points — raw clients cut off
 * mid-greeting, mid-option, mid-header, mid-payload or before reading a reply, and real libnbd
 * client processes killed with SIGKILL. Afterwards no connection thread, descriptor or thread is
 * left behind, and SIGTERM ends the server promptly.
 *
 * <p>Short by default (about 20 s); {@code -Djnbdkit.long=true} runs 10 minutes, or
 * {@code -Djnbdkit.soak.seconds=N}.
 */
class SoakIT {
    static final int CONNECTIONS = 64;
    static final int REGION = 1 << 20;
    static final String PYTHON = "/usr/bin/python3";

    static long seconds() {
        Long s = Long.getLong("jnbdkit.soak.seconds");
        if (s != null) return s;
        return Boolean.getBoolean("jnbdkit.long") ? 600 : 15;
    }

    @Test
    @Timeout(value = 15, unit = TimeUnit.MINUTES)
    void concurrentVerifiedIoWithClientsKilledAtRandom() throws Exception {
        long seconds = seconds();
        Path dir = SoakServer.workDir("soak");
        long size = (long) (CONNECTIONS + 8) * REGION;
        try (Server server = SoakServer.start(dir, List.of(), "memory", String.valueOf(size))) {
            // Baseline after one complete connection (lazy classes, pools and timers exist by then).
            try (RawNbd c = RawNbd.open(server.socket(), "")) {
                assertEquals(0, c.write(0, new byte[4096], 0));
                c.disconnect();
            }
            assertEquals(0, SoakServer.awaitNoConnectionThreads(server, "memory", 10));
            int fds0 = SoakServer.fds(server);
            List<String> fdsBefore = SoakServer.fdTargets(server);
            int threads0 = SoakServer.threads(server);

            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
            AtomicLong verifiedOps = new AtomicLong(), bytes = new AtomicLong(), vanished = new AtomicLong(),
                    killed = new AtomicLong();
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < CONNECTIONS; i++) {
                int id = i;
                threads.add(Thread.ofPlatform().name("soak-" + i).start(() -> {
                    try {
                        verifiedClient(server.socket(), id, end, verifiedOps, bytes);
                    } catch (Throwable t) {
                        failures.add(new AssertionError("client " + id, t));
                    }
                }));
            }
            for (int i = 0; i < 4; i++) {
                long seed = 1000 + i;
                threads.add(Thread.ofPlatform().name("vanisher-" + i).start(() -> {
                    try {
                        vanishingClients(server.socket(), seed, end, (long) CONNECTIONS * REGION, vanished);
                    } catch (Throwable t) {
                        failures.add(new AssertionError("vanisher", t));
                    }
                }));
            }
            threads.add(Thread.ofPlatform().name("killer").start(() -> {
                try {
                    killedProcesses(server.socket(), end, (long) (CONNECTIONS + 4) * REGION, killed);
                } catch (Throwable t) {
                    failures.add(new AssertionError("killer", t));
                }
            }));
            for (Thread t : threads) t.join();
            if (!failures.isEmpty()) {
                AssertionError e = new AssertionError(failures.size() + " client(s) failed; server log:\n" + tail(server.log()));
                failures.forEach(e::addSuppressed);
                throw e;
            }

            int left = SoakServer.awaitNoConnectionThreads(server, "memory", 30);
            // Descriptors and threads settle back (the JIT's compiler threads come and go: allow a few).
            int fds = settle(() -> SoakServer.fds(server), fds0);
            List<String> fdsAfter = fds > fds0 ? SoakServer.fdTargets(server) : List.of();
            int threadsNow = settle(() -> SoakServer.threads(server), threads0 + 4);
            long stopMillis = SoakServer.terminate(server, 60);
            String report = String.format("soak: %d s, %d connections: %d verified ops, %d MiB; %d vanishing clients, %d killed"
                    + " processes; connection threads left %d; fds %d -> %d; threads %d -> %d; SIGTERM exit %d ms",
                    seconds, CONNECTIONS, verifiedOps.get(), bytes.get() >> 20, vanished.get(), killed.get(), left,
                    fds0, fds, threads0, threadsNow, stopMillis);
            System.out.println(report);
            Results.record("SoakIT", report);
            assertEquals(0, left, "connection threads left");
            if (fds > fds0) {
                throw new AssertionError("descriptors leaked: " + fds0 + " -> " + fds + "\nbefore: " + fdsBefore
                        + "\nafter:  " + fdsAfter);
            }
            assertTrue(threadsNow <= threads0 + 4, "threads leaked: " + threads0 + " -> " + threadsNow);
            assertTrue(verifiedOps.get() > CONNECTIONS * 10L, "too little I/O: " + verifiedOps.get());
            assertTrue(killed.get() > 0 && vanished.get() > 0);
        }
    }

    interface Probe { int get() throws IOException; }

    /** Polls for up to 10 s until the value is at most {@code target}; returns the last value. */
    static int settle(Probe p, int target) throws IOException, InterruptedException {
        int v = p.get();
        for (int i = 0; i < 200 && v > target; i++) {
            Thread.sleep(50);
            v = p.get();
        }
        return v;
    }

    static String tail(String s) {
        return s.length() > 4000 ? s.substring(s.length() - 4000) : s;
    }

    /** Random writes and reads in this client's own region, every read checked against a model. */
    static void verifiedClient(Path socket, int id, long end, AtomicLong ops, AtomicLong bytes) throws IOException {
        Random rnd = new Random(id);
        long base = (long) id * REGION;
        byte[] model = new byte[REGION];
        try (RawNbd c = RawNbd.open(socket, "")) {
            while (System.nanoTime() < end) {
                int len = 1 << (9 + rnd.nextInt(8)); // 512 B .. 64 KiB
                int off = rnd.nextInt(REGION - len + 1);
                if (rnd.nextBoolean()) {
                    byte[] data = new byte[len];
                    rnd.nextBytes(data);
                    int flags = rnd.nextInt(8) == 0 ? Nbd.CMD_FLAG_FUA : 0;
                    assertEquals(0, c.write(base + off, data, flags), "write");
                    System.arraycopy(data, 0, model, off, len);
                } else {
                    byte[] got = new byte[len];
                    assertEquals(0, c.read(base + off, got), "read");
                    if (!Arrays.equals(got, 0, len, model, off, off + len)) {
                        throw new AssertionError("client " + id + ": data mismatch at " + (base + off) + "+" + len);
                    }
                }
                ops.incrementAndGet();
                bytes.addAndGet(len);
            }
            c.disconnect();
        }
    }

    /** Clients that stop at a random point of the conversation and close (or reset) their socket. */
    static void vanishingClients(Path socket, long seed, long end, long base, AtomicLong count) throws Exception {
        Random rnd = new Random(seed);
        while (System.nanoTime() < end) {
            RawNbd c = RawNbd.connect(socket);
            try {
                int where = rnd.nextInt(8);
                if (where == 0) continue;                        // before reading the greeting
                c.greeting();
                ByteBuffer cflags = ByteBuffer.allocate(4).putInt(Nbd.FLAG_C_FIXED_NEWSTYLE | Nbd.FLAG_C_NO_ZEROES).flip();
                if (where == 1) { c.send(cflags.limit(2)); continue; }  // half the client flags
                c.send(cflags);
                if (where == 2) {                                // half an option
                    c.send(ByteBuffer.allocate(10).putLong(Nbd.IHAVEOPT).putShort((short) 0).flip());
                    continue;
                }
                if (where == 3) {                                // option header promising more payload
                    c.send(ByteBuffer.allocate(20).putLong(Nbd.IHAVEOPT).putInt(Nbd.OPT_GO).putInt(1000).putInt(0).flip());
                    continue;
                }
                c.go("");
                long off = base + rnd.nextInt(REGION - 65536);
                switch (where) {
                    case 4 -> c.send(c.header(0, Nbd.CMD_READ, 1, off, 4096).limit(13));  // half a header
                    case 5 -> {                                  // write header, part of the payload
                        c.send(c.header(0, Nbd.CMD_WRITE, 1, off, 65536));
                        c.send(ByteBuffer.allocate(rnd.nextInt(65536)));
                    }
                    case 6 -> {                                  // many big reads, replies never read
                        for (int i = 0; i < 16; i++) c.send(c.header(0, Nbd.CMD_READ, i, base, 1 << 20));
                    }
                    default -> c.send(ByteBuffer.wrap(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                            17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28}));  // garbage: bad magic
                }
            } catch (IOException serverHungUp) {
                // fine: the server may close first
            } finally {
                if (rnd.nextBoolean()) {
                    try {
                        c.ch.setOption(java.net.StandardSocketOptions.SO_LINGER, 0);
                    } catch (IOException | UnsupportedOperationException ignored) {
                        // Unix sockets have no linger: a plain close
                    }
                }
                c.close();
                count.incrementAndGet();
            }
        }
    }

    /** Real libnbd client processes killed with SIGKILL at random moments. */
    static void killedProcesses(Path socket, long end, long base, AtomicLong count) throws Exception {
        Random rnd = new Random(7);
        Path script = Path.of(SoakIT.class.getResource("/soak/killed_client.py").toURI());
        while (System.nanoTime() < end) {
            List<Process> ps = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                ps.add(new ProcessBuilder(PYTHON, script.toString(), socket.toString(),
                        String.valueOf(base + (long) i * REGION), String.valueOf(REGION))
                        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start());
            }
            Thread.sleep(300 + rnd.nextInt(1200));
            for (Process p : ps) {
                if (!p.isAlive()) throw new AssertionError("libnbd client died by itself: exit " + p.exitValue());
                p.destroyForcibly(); // SIGKILL
                p.waitFor();
                count.incrementAndGet();
            }
        }
    }
}
