package dev.jnbdkit.fuzz;

import dev.jnbdkit.backend.Stack;
import dev.jnbdkit.backend.FakePlugin;
import dev.jnbdkit.log.Log;
import dev.jnbdkit.log.LogSink;
import dev.jnbdkit.protocol.Nbd;
import dev.jnbdkit.server.Server;
import dev.jnbdkit.server.ServerSettings;
import dev.jnbdkit.server.Transport;
import dev.jnbdkit.spi.ThreadModel;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs one whole client connection in this thread: {@link Server#serveOne} over an in-memory
 * transport whose input is the fuzzer's bytes (then end of stream) and whose output is counted
 * and dropped. After each connection it checks what must hold for any input:
 * <ul>
 *   <li>nothing but a clean disconnect leaves the connection: no exception escapes
 *       {@code serveOne}, and the connection never logs "connection failed" (a RuntimeException
 *       caught at its top: a bug in decoding or validation);</li>
 *   <li>every plugin handle opened was closed;</li>
 *   <li>the connection ends promptly once the input ends (no hang);</li>
 *   <li>the heap allocated by the connection stays within a fixed budget plus a small multiple
 *       of the bytes the client actually sent (no allocation on the say-so of a length field).</li>
 * </ul>
 */
final class FuzzHarness {
    /** Heap the connection may use whatever the input (buffers up to one 64 KiB step, replies…). */
    static final long FIXED_BUDGET = 4L << 20;
    /** …plus this much per byte received (exceptions and log strings per 28-byte request). */
    static final long PER_INPUT_BYTE = 512;
    static final long MAX_MILLIS = 10_000;

    /** Client flags FIXED_NEWSTYLE | NO_ZEROES. */
    static final int CFLAGS = Nbd.FLAG_C_FIXED_NEWSTYLE | Nbd.FLAG_C_NO_ZEROES;

    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    final FakePlugin plugin;
    final Server server;
    final boolean inline;
    private static final CapturingSink LOG = new CapturingSink();

    static {
        Log.setSink(LOG);
        Log.setVerbose(false);
    }

    /**
     * @param threads requests in flight per connection: 1 serves every request in the calling
     *                thread (allocation is measured), more uses worker threads
     */
    FuzzHarness(boolean readonly, int threads, boolean extents) {
        plugin = new FakePlugin();
        plugin.size = 1 << 20;
        plugin.storedBytes = 64 * 1024;
        plugin.canExtents = extents;
        plugin.threadModel = threads > 1 ? ThreadModel.PARALLEL : ThreadModel.SERIALIZE_REQUESTS;
        server = new Server(Stack.of(plugin, readonly), new ServerSettings(false, false, 0xffff, threads));
        inline = threads == 1;
    }

    /** Serves one connection whose client sends {@code input} after reading the greeting. */
    long run(byte[] input) {
        long written = once(input, false);
        // Class loading and JIT warm-up allocate on first use: only a second run over budget counts.
        if (overBudget) written = once(input, true);
        return written;
    }

    private boolean overBudget;

    private long once(byte[] input, boolean enforce) {
        overBudget = false;
        LOG.clear();
        MemoryTransport t = new MemoryTransport(input);
        long tid = Thread.currentThread().threadId();
        long before = THREADS.getThreadAllocatedBytes(tid);
        long start = System.nanoTime();
        server.serveOne(t);
        long millis = (System.nanoTime() - start) / 1_000_000;
        long allocated = THREADS.getThreadAllocatedBytes(tid) - before;

        String failed = LOG.find("connection failed");
        if (failed != null) throw new AssertionError("exception escaped the connection: " + failed);
        if (plugin.openHandles.get() != 0) {
            int n = plugin.openHandles.getAndSet(0);
            throw new AssertionError(n + " plugin handle(s) left open");
        }
        if (!t.closed) throw new AssertionError("transport not closed");
        if (millis > MAX_MILLIS) throw new AssertionError("connection took " + millis + " ms");
        long budget = FIXED_BUDGET + PER_INPUT_BYTE * input.length;
        if (inline && allocated > budget) {
            overBudget = true;
            if (enforce) throw new AssertionError("connection allocated " + allocated + " bytes for " + input.length
                    + " bytes of input (budget " + budget + ")");
        }
        return t.written();
    }

    /** Messages logged by connections (errors and warnings; debug is off). */
    static final class CapturingSink implements LogSink {
        private final List<String> lines = new ArrayList<>();

        @Override
        public synchronized void write(Level level, String line) {
            if (lines.size() < 10_000) lines.add(line);
        }

        synchronized void clear() { lines.clear(); }

        synchronized String find(String text) {
            for (String l : lines) if (l.contains(text)) return l;
            return null;
        }
    }

    /** The client's bytes, then end of stream; what the server writes is counted. */
    static final class MemoryTransport implements Transport {
        private final ByteBuffer in;
        private volatile boolean inputShut;
        private long written;
        volatile boolean closed;

        MemoryTransport(byte[] input) { in = ByteBuffer.wrap(input); }

        @Override
        public synchronized int read(ByteBuffer dst) {
            if (inputShut || !in.hasRemaining()) return -1;
            int n = Math.min(dst.remaining(), in.remaining());
            dst.put(in.slice(in.position(), n));
            in.position(in.position() + n);
            return n;
        }

        @Override
        public synchronized void writeFully(ByteBuffer... srcs) throws IOException {
            if (closed) throw new IOException("closed");
            for (ByteBuffer b : srcs) {
                written += b.remaining();
                b.position(b.limit());
            }
        }

        synchronized long written() { return written; }

        @Override public void shutdownInput() { inputShut = true; }

        @Override public String peer() { return "fuzzer"; }

        @Override public void close() { closed = true; }
    }

    // ---- building inputs ----

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        for (byte[] p : parts) o.writeBytes(p);
        return o.toByteArray();
    }

    static byte[] cflags(int flags) { return ByteBuffer.allocate(4).putInt(flags).array(); }

    static byte[] option(int option, byte[] payload) {
        return ByteBuffer.allocate(16 + payload.length).putLong(Nbd.IHAVEOPT).putInt(option)
                .putInt(payload.length).put(payload).array();
    }

    static byte[] exportRequest(String name) {
        byte[] n = name.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        return ByteBuffer.allocate(4 + n.length + 2).putInt(n.length).put(n).putShort((short) 0).array();
    }

    static byte[] setMetaBaseAllocation() {
        byte[] q = Nbd.BASE_ALLOCATION.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        return ByteBuffer.allocate(4 + 4 + 4 + q.length).putInt(0).putInt(1).putInt(q.length).put(q).array();
    }
}
