package dev.jnbdkit.cli;

import dev.jnbdkit.posix.SelfProcess;
import dev.jnbdkit.protocol.Nbd;
import dev.jnbdkit.protocol.Request;
import dev.jnbdkit.protocol.RequestDecoder;
import dev.jnbdkit.spi.Nbdkit;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The training run for the JVM's AOT cache (run at build time with -XX:AOTCacheOutput): starts
 * the real server the way users do, for the memory plugin and, when a Python script is given,
 * the python plugin, and sends one client's typical session through it, so that the classes and
 * linkage of a cold start to the first answered request are in the cache. Then a few thousand
 * pipelined reads and writes from several connections, as nbdcopy and qemu send them: the cache
 * also keeps the method profiles this gathers, so a fresh server's JIT compiles its hot paths
 * from the first request instead of profiling them again during a user's first copy.
 */
public final class Training {
    private Training() {}

    public static void main(String[] args) throws Exception {
        // What only a socket-activated start runs (the training listens on a path instead): our
        // own classes would otherwise be read from the jar, and opening it costs milliseconds.
        new InheritedChannelWarmup().run();
        SelfProcess.parentPid();
        Path dir = Files.createTempDirectory("jnbdkit-training");
        try {
            session(dir.resolve("memory.sock"), "memory", "1M");
            if (args.length > 0) session(dir.resolve("python.sock"), "python", args[0], "size=1M");
        } finally {
            try (var files = Files.list(dir)) {
                for (Path p : files.toList()) Files.deleteIfExists(p);
            }
            Files.deleteIfExists(dir);
        }
        System.exit(0);
    }

    private static void session(Path socket, String... plugin) throws Exception {
        String[] args = new String[3 + plugin.length];
        args[0] = "-f";
        args[1] = "-U";
        args[2] = socket.toString();
        System.arraycopy(plugin, 0, args, 3, plugin.length);
        int[] status = {-1};
        Thread server = Thread.ofPlatform().start(() -> status[0] = Main.run(args));
        for (int i = 0; i < 500 && !Files.exists(socket); i++) Thread.sleep(10);
        try (SocketChannel c = connect(socket)) {
            client(c);
        } catch (IOException e) {
            System.err.println("training: " + String.join(" ", plugin) + ": " + e.getMessage());
        }
        Thread[] traffic = new Thread[TRAFFIC_CONNECTIONS];
        for (int i = 0; i < traffic.length; i++) {
            int seed = i;
            traffic[i] = Thread.ofPlatform().start(() -> {
                try (SocketChannel c = connect(socket)) {
                    traffic(c, seed);
                } catch (Exception e) {
                    System.err.println("training: " + String.join(" ", plugin) + ": " + e.getMessage());
                }
            });
        }
        for (Thread t : traffic) t.join();
        Nbdkit.shutdown();
        server.join(10_000);
    }

    private static final int TRAFFIC_CONNECTIONS = 4;
    private static final int TRAFFIC_BATCHES = 20;
    private static final int TRAFFIC_DEPTH = 16;

    /**
     * Batches of {@link #TRAFFIC_DEPTH} requests sent before their replies are read (so that
     * several workers serve them and replies are combined): 256 KiB and 4 KiB writes and reads
     * and block status, within the first MiB of the export, and in each batch one of the other
     * commands, so that the profiles show them taken (a branch the profile says is never taken
     * costs a recompilation when a client first uses it).
     */
    private static void traffic(SocketChannel c, int seed) throws IOException {
        handshake(c);
        byte[] big = new byte[256 * 1024];
        byte[] small = new byte[4096];
        java.util.Random rnd = new java.util.Random(seed);
        rnd.nextBytes(big);
        long cookie = 1;
        for (int b = 0; b < TRAFFIC_BATCHES; b++) {
            for (int i = 0; i < TRAFFIC_DEPTH; i++) {
                int kind = i == TRAFFIC_DEPTH - 1 ? 5 + b % 4 : (b + i) % 5;
                long off = kind < 2 ? 256L * 1024 * rnd.nextInt(4) : 4096L * rnd.nextInt(256);
                Request r = switch (kind) {
                    case 0 -> new Request(0, Nbd.CMD_WRITE, cookie++, off, big.length);
                    case 1 -> new Request(0, Nbd.CMD_READ, cookie++, off, big.length);
                    case 2 -> new Request(0, Nbd.CMD_WRITE, cookie++, off, small.length);
                    case 3 -> new Request(0, Nbd.CMD_READ, cookie++, off, small.length);
                    case 4 -> new Request(0, Nbd.CMD_BLOCK_STATUS, cookie++, off, (int) Math.min(65536, (1 << 20) - off));
                    case 5 -> new Request(0, Nbd.CMD_FLUSH, cookie++, 0, 0);
                    case 6 -> new Request(0, Nbd.CMD_TRIM, cookie++, off, small.length);
                    case 7 -> new Request(0, Nbd.CMD_WRITE_ZEROES, cookie++, off, small.length);
                    default -> new Request(Nbd.CMD_FLAG_FUA, Nbd.CMD_WRITE, cookie++, off, small.length);
                };
                ByteBuffer h = ByteBuffer.allocate(Nbd.REQUEST_SIZE);
                RequestDecoder.encode(h, r, false);
                write(c, h.flip());
                if (kind == 0) write(c, ByteBuffer.wrap(big));
                if (kind == 2 || kind == 8) write(c, ByteBuffer.wrap(small));
            }
            for (int i = 0; i < TRAFFIC_DEPTH; i++) reply(c);
        }
        ByteBuffer h = ByteBuffer.allocate(Nbd.REQUEST_SIZE);
        RequestDecoder.encode(h, new Request(0, Nbd.CMD_DISC, cookie, 0, 0), false);
        write(c, h.flip());
    }

    /** The socket file appears at bind(), a moment before listen(): retry a refused connection. */
    private static SocketChannel connect(Path socket) throws Exception {
        for (int i = 0; ; i++) {
            SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX);
            try {
                c.connect(UnixDomainSocketAddress.of(socket));
                return c;
            } catch (java.net.ConnectException e) {
                c.close();
                if (i >= 500) throw e;
                Thread.sleep(10);
            }
        }
    }

    /** Handshake with structured replies and base:allocation, then read, write, block status, disconnect. */
    /** Fixed newstyle, structured replies, base:allocation, then GO on the default export. */
    private static void handshake(SocketChannel c) throws IOException {
        read(c, 18);
        write(c, ByteBuffer.allocate(4).putInt(Nbd.FLAG_C_FIXED_NEWSTYLE | Nbd.FLAG_C_NO_ZEROES).flip());
        option(c, Nbd.OPT_STRUCTURED_REPLY, new byte[0]);
        byte[] ctx = Nbd.BASE_ALLOCATION.getBytes(StandardCharsets.US_ASCII);
        option(c, Nbd.OPT_SET_META_CONTEXT,
                ByteBuffer.allocate(12 + ctx.length).putInt(0).putInt(1).putInt(ctx.length).put(ctx).array());
        option(c, Nbd.OPT_GO, ByteBuffer.allocate(6).putInt(0).putShort((short) 0).array());
    }

    private static void client(SocketChannel c) throws IOException {
        handshake(c);
        request(c, new Request(0, Nbd.CMD_WRITE, 1, 0, 4096), new byte[4096]);
        request(c, new Request(0, Nbd.CMD_READ, 2, 0, 4096), null);
        request(c, new Request(0, Nbd.CMD_BLOCK_STATUS, 3, 0, 65536), null);
        request(c, new Request(0, Nbd.CMD_DISC, 4, 0, 0), null);
    }

    private static void option(SocketChannel c, int option, byte[] payload) throws IOException {
        write(c, ByteBuffer.allocate(16 + payload.length).putLong(Nbd.IHAVEOPT).putInt(option)
                .putInt(payload.length).put(payload).flip());
        while (true) {
            ByteBuffer h = read(c, 20);
            h.getLong();
            h.getInt();
            int type = h.getInt();
            int len = h.getInt();
            read(c, len);
            if (type == Nbd.REP_ACK || type < 0) return;
        }
    }

    private static void request(SocketChannel c, Request r, byte[] payload) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(Nbd.REQUEST_SIZE + (payload == null ? 0 : payload.length));
        RequestDecoder.encode(b, r, false);
        if (payload != null) b.put(payload);
        write(c, b.flip());
        if (r.type() == Nbd.CMD_DISC) return;
        reply(c);
    }

    /** Reads one reply, simple or structured (one chunk with DONE, as this server sends). */
    private static void reply(SocketChannel c) throws IOException {
        ByteBuffer h = read(c, 4);
        int magic = h.getInt();
        if (magic == Nbd.SIMPLE_REPLY_MAGIC) {
            read(c, 12);
        } else {
            ByteBuffer rest = read(c, 16);
            rest.position(12);
            read(c, rest.getInt());
        }
    }

    private static ByteBuffer read(SocketChannel c, int n) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(n);
        while (b.hasRemaining()) if (c.read(b) < 0) throw new IOException("server closed the connection");
        return b.flip();
    }

    private static void write(SocketChannel c, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) c.write(b);
    }
}
