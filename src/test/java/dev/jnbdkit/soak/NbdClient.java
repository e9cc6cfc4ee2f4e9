package dev.jnbdkit.soak;



import java.io.EOFException;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static dev.jnbdkit.protocol.Nbd.*;

/**
 * A small blocking NBD client over a Unix socket for soak and fault tests: fixed newstyle, GO,
 * simple replies, one request at a time. It can also send raw bytes and vanish at any point.
 * Reads have no timeout: callers run under JUnit timeouts.
 */
final class NbdClient implements AutoCloseable {
    final SocketChannel ch;
    long size;
    int flags;
    private long cookies;

    private NbdClient(SocketChannel ch) { this.ch = ch; }

    /** Only connected: nothing read or sent yet. */
    static NbdClient connect(Path socket) throws IOException {
        SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX);
        c.connect(UnixDomainSocketAddress.of(socket));
        return new NbdClient(c);
    }

    /** Connected and in transmission on export {@code name}. */
    static NbdClient open(Path socket, String name) throws IOException {
        NbdClient n = connect(socket);
        try {
            n.greeting();
            n.send(ByteBuffer.allocate(4).putInt(FLAG_C_FIXED_NEWSTYLE | FLAG_C_NO_ZEROES).flip());
            n.go(name);
            return n;
        } catch (IOException | RuntimeException e) {
            n.close();
            throw e;
        }
    }

    void greeting() throws IOException {
        ByteBuffer g = readFully(18);
        if (g.getLong() != NBDMAGIC || g.getLong() != IHAVEOPT) throw new IOException("bad greeting");
    }

    void option(int option, byte[] payload) throws IOException {
        send(ByteBuffer.allocate(16 + payload.length).putLong(IHAVEOPT).putInt(option).putInt(payload.length)
                .put(payload).flip());
    }

    /** One option reply: {type, payload}. */
    record OptReply(int option, int type, byte[] data) {}

    OptReply optReply() throws IOException {
        ByteBuffer h = readFully(20);
        if (h.getLong() != OPTION_REPLY_MAGIC) throw new IOException("bad option reply magic");
        int option = h.getInt();
        int type = h.getInt();
        int len = h.getInt();
        if (len < 0 || len > (1 << 20)) throw new IOException("option reply too long: " + len);
        return new OptReply(option, type, readFully(len).array());
    }

    static byte[] exportRequest(String name) {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(4 + n.length + 2).putInt(n.length).put(n).putShort((short) 0).array();
    }

    void go(String name) throws IOException {
        option(OPT_GO, exportRequest(name));
        while (true) {
            OptReply r = optReply();
            if (r.type() == REP_ACK) return;
            if (r.type() < 0) throw new IOException("GO refused: 0x" + Integer.toHexString(r.type()) + " "
                    + new String(r.data(), StandardCharsets.UTF_8));
            ByteBuffer b = ByteBuffer.wrap(r.data());
            if (r.type() == REP_INFO && b.getShort() == INFO_EXPORT) {
                size = b.getLong();
                flags = Short.toUnsignedInt(b.getShort());
            }
        }
    }

    // ---- transmission (simple replies) ----

    ByteBuffer header(int flags, int type, long cookie, long offset, long length) {
        return ByteBuffer.allocate(28).putInt(REQUEST_MAGIC).putShort((short) flags).putShort((short) type)
                .putLong(cookie).putLong(offset).putInt((int) length).flip();
    }

    /** Sends a request and returns its cookie. */
    long request(int flags, int type, long offset, long length, byte[] payload) throws IOException {
        long cookie = ++cookies;
        ByteBuffer h = header(flags, type, cookie, offset, length);
        if (payload == null) send(h); else send(h, ByteBuffer.wrap(payload));
        return cookie;
    }

    /** Reads a simple reply for {@code cookie}; returns its NBD error (0 = success). */
    int reply(long cookie) throws IOException {
        ByteBuffer r = readFully(16);
        if (r.getInt() != SIMPLE_REPLY_MAGIC) throw new IOException("bad reply magic");
        int error = r.getInt();
        long c = r.getLong();
        if (c != cookie) throw new IOException("reply for cookie " + c + ", expected " + cookie);
        return error;
    }

    /** Reads into {@code dst}; returns the NBD error (0 = success, then dst is filled). */
    int read(long offset, byte[] dst) throws IOException {
        long c = request(0, CMD_READ, offset, dst.length, null);
        int e = reply(c);
        if (e == 0) readFully(ByteBuffer.wrap(dst));
        return e;
    }

    int write(long offset, byte[] data, int flags) throws IOException {
        return reply(request(flags, CMD_WRITE, offset, data.length, data));
    }

    int flush() throws IOException { return reply(request(0, CMD_FLUSH, 0, 0, null)); }

    void disconnect() throws IOException {
        request(0, CMD_DISC, 0, 0, null);
        close();
    }

    // ---- bytes ----

    void send(ByteBuffer... parts) throws IOException {
        long total = 0;
        for (ByteBuffer b : parts) total += b.remaining();
        while (total > 0) total -= ch.write(parts);
    }

    ByteBuffer readFully(int n) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(n);
        readFully(b);
        return b.flip();
    }

    void readFully(ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            if (ch.read(b) < 0) throw new EOFException("server closed the connection");
        }
    }

    /** True if the server has closed the connection (reads end of stream). */
    boolean closedByServer() {
        try {
            return ch.read(ByteBuffer.allocate(1)) < 0;
        } catch (IOException e) {
            return true;
        }
    }

    @Override
    public void close() {
        try {
            ch.close();
        } catch (IOException ignored) {
            // gone
        }
    }
}
