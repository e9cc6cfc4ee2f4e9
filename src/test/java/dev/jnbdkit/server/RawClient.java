package dev.jnbdkit.server;

import dev.jnbdkit.protocol.Nbd;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A deliberately small NBD client speaking raw bytes over a real socket, able to send what real
 * clients never would. Reads time out (10 s) so a server that fails to answer fails the test
 * instead of hanging it.
 */
final class RawClient implements AutoCloseable {
    static final int TIMEOUT_MS = 10_000;

    private final Socket socket;          // TCP
    private final SocketChannel channel;  // Unix
    private final DataInputStream in;
    private final OutputStream out;
    boolean extended;

    private RawClient(Socket socket, SocketChannel channel, InputStream in, OutputStream out) {
        this.socket = socket;
        this.channel = channel;
        this.in = new DataInputStream(in);
        this.out = out;
    }

    static RawClient tcp(int port) throws IOException {
        Socket s = new Socket();
        s.connect(new InetSocketAddress("127.0.0.1", port), TIMEOUT_MS);
        s.setSoTimeout(TIMEOUT_MS);
        s.setTcpNoDelay(true);
        return new RawClient(s, null, s.getInputStream(), s.getOutputStream());
    }

    /** Unix socket: no read timeout is available, so callers run under a JUnit timeout. */
    static RawClient unix(Path path) throws IOException {
        SocketChannel c = SocketChannel.open(java.net.UnixDomainSocketAddress.of(path));
        return new RawClient(null, c, Channels.newInputStream(c), Channels.newOutputStream(c));
    }

    // ---- raw bytes ----

    void send(byte[] b) throws IOException { out.write(b); out.flush(); }

    void send(ByteBuffer b) throws IOException {
        byte[] a = new byte[b.remaining()];
        b.get(a);
        send(a);
    }

    long readLong() throws IOException { return in.readLong(); }

    int readInt() throws IOException { return in.readInt(); }

    int readShort() throws IOException { return in.readUnsignedShort(); }

    byte[] read(int n) throws IOException {
        byte[] b = new byte[n];
        in.readFully(b);
        return b;
    }

    /** The server closes the connection: end of stream (or reset) before the timeout. */
    void expectClosed() throws IOException {
        try {
            int b = in.read();
            if (b >= 0) fail("expected the server to close the connection, got byte " + b);
        } catch (SocketTimeoutException e) {
            fail("server did not close the connection");
        } catch (IOException e) {
            // connection reset: closed too
        }
    }

    /** Reads everything until the server closes (fails on timeout). */
    byte[] readToEnd() throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        byte[] b = new byte[65536];
        try {
            for (int n; (n = in.read(b)) >= 0; ) all.write(b, 0, n);
        } catch (SocketTimeoutException e) {
            fail("server did not close the connection; received " + all.size() + " bytes");
        } catch (IOException e) {
            // reset after close
        }
        return all.toByteArray();
    }

    void shutdownOutput() throws IOException {
        if (socket != null) socket.shutdownOutput(); else channel.shutdownOutput();
    }

    @Override
    public void close() throws IOException {
        if (socket != null) socket.close(); else channel.close();
    }

    // ---- handshake ----

    /** Reads the newstyle greeting; returns the global flags. */
    int greeting() throws IOException {
        assertEquals(Nbd.NBDMAGIC, readLong(), "NBDMAGIC");
        assertEquals(Nbd.IHAVEOPT, readLong(), "IHAVEOPT");
        return readShort();
    }

    void clientFlags(int flags) throws IOException { send(ByteBuffer.allocate(4).putInt(flags).array()); }

    /** Greeting, then FIXED_NEWSTYLE | NO_ZEROES. */
    RawClient start() throws IOException {
        int g = greeting();
        assertEquals(Nbd.FLAG_FIXED_NEWSTYLE | Nbd.FLAG_NO_ZEROES, g);
        clientFlags(g);
        return this;
    }

    void option(int option, byte[] payload) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(16 + payload.length);
        b.putLong(Nbd.IHAVEOPT).putInt(option).putInt(payload.length).put(payload);
        send(b.array());
    }

    record OptReply(int option, int type, byte[] data) {
        boolean isError() { return type < 0; }

        ByteBuffer buf() { return ByteBuffer.wrap(data); }

        String text() { return new String(data, StandardCharsets.UTF_8); }
    }

    OptReply optReply() throws IOException {
        assertEquals(Nbd.OPTION_REPLY_MAGIC, readLong(), "option reply magic");
        int option = readInt();
        int type = readInt();
        int len = readInt();
        if (len < 0 || len > 1 << 20) fail("implausible option reply length " + len);
        return new OptReply(option, type, read(len));
    }

    /** Sends an option and collects replies up to the final one (ACK or an error). */
    List<OptReply> exchange(int option, byte[] payload) throws IOException {
        option(option, payload);
        List<OptReply> list = new ArrayList<>();
        while (true) {
            OptReply r = optReply();
            assertEquals(option, r.option(), "reply to the option sent");
            list.add(r);
            if (r.type() == Nbd.REP_ACK || r.isError()) return list;
        }
    }

    OptReply single(int option, byte[] payload) throws IOException {
        List<OptReply> l = exchange(option, payload);
        assertEquals(1, l.size(), "one reply");
        return l.getFirst();
    }

    static byte[] exportRequest(String name, int... infos) {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(4 + n.length + 2 + 2 * infos.length);
        b.putInt(n.length).put(n).putShort((short) infos.length);
        for (int i : infos) b.putShort((short) i);
        return b.array();
    }

    static byte[] metaRequest(String name, String... queries) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        o.writeBytes(ByteBuffer.allocate(4).putInt(n.length).array());
        o.writeBytes(n);
        o.writeBytes(ByteBuffer.allocate(4).putInt(queries.length).array());
        for (String q : queries) {
            byte[] s = q.getBytes(StandardCharsets.UTF_8);
            o.writeBytes(ByteBuffer.allocate(4).putInt(s.length).array());
            o.writeBytes(s);
        }
        return o.toByteArray();
    }

    record Export(long size, int flags) {}

    /** NBD_OPT_GO on {@code name}: returns the export's size and transmission flags. */
    Export go(String name) throws IOException {
        List<OptReply> l = exchange(Nbd.OPT_GO, exportRequest(name));
        OptReply last = l.getLast();
        if (last.type() != Nbd.REP_ACK) fail("GO failed: type 0x" + Integer.toHexString(last.type()) + " " + last.text());
        for (OptReply r : l) {
            if (r.type() == Nbd.REP_INFO && r.buf().getShort() == Nbd.INFO_EXPORT) {
                ByteBuffer b = r.buf();
                b.getShort();
                return new Export(b.getLong(), Short.toUnsignedInt(b.getShort()));
            }
        }
        throw new AssertionError("no NBD_INFO_EXPORT");
    }

    void ack(int option) throws IOException {
        OptReply r = single(option, new byte[0]);
        assertEquals(Nbd.REP_ACK, r.type(), r.text());
    }

    // ---- transmission ----

    void request(int flags, int type, long cookie, long offset, long length) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(extended ? 32 : 28);
        b.putInt(extended ? Nbd.EXTENDED_REQUEST_MAGIC : Nbd.REQUEST_MAGIC).putShort((short) flags).putShort((short) type)
                .putLong(cookie).putLong(offset);
        if (extended) b.putLong(length); else b.putInt((int) length);
        send(b.array());
    }

    void write(int flags, long cookie, long offset, byte[] data) throws IOException {
        request(flags, Nbd.CMD_WRITE, cookie, offset, data.length);
        send(data);
    }

    /**
     * One reply: a simple reply (its read data, if any, is left for the caller) or one chunk with
     * its whole payload.
     */
    record Reply(int magic, int error, long cookie, int flags, int type, long offset, byte[] payload) {
        boolean simple() { return magic == Nbd.SIMPLE_REPLY_MAGIC; }

        /** The NBD error of a simple reply or error chunk; 0 otherwise. */
        int status() {
            if (simple()) return error;
            if ((type & 0x8000) != 0) return ByteBuffer.wrap(payload).getInt();
            return 0;
        }

        String message() {
            if (simple() || (type & 0x8000) == 0) return "";
            ByteBuffer b = ByteBuffer.wrap(payload);
            b.getInt();
            int n = Short.toUnsignedInt(b.getShort());
            return new String(payload, 6, n, StandardCharsets.UTF_8);
        }

        boolean done() { return simple() || (flags & Nbd.REPLY_FLAG_DONE) != 0; }
    }

    Reply reply() throws IOException {
        int magic = readInt();
        if (magic == Nbd.SIMPLE_REPLY_MAGIC) {
            int error = readInt();
            long cookie = readLong();
            return new Reply(magic, error, cookie, 0, 0, 0, new byte[0]);
        }
        if (magic == Nbd.STRUCTURED_REPLY_MAGIC || magic == Nbd.EXTENDED_REPLY_MAGIC) {
            boolean ext = magic == Nbd.EXTENDED_REPLY_MAGIC;
            if (ext != extended) fail("reply style does not match the negotiated headers: magic 0x" + Integer.toHexString(magic));
            int flags = readShort();
            int type = readShort();
            long cookie = readLong();
            long offset = ext ? readLong() : -1;
            long len = ext ? readLong() : Integer.toUnsignedLong(readInt());
            if (len > 80L << 20) fail("implausible chunk length " + len);
            return new Reply(magic, 0, cookie, flags, type, offset, read((int) len));
        }
        throw new AssertionError("bad reply magic 0x" + Integer.toHexString(magic));
    }

    /** A reply expected to be an error with {@code code}, for {@code cookie}. */
    Reply expectError(long cookie, int code) throws IOException {
        Reply r = reply();
        assertEquals(cookie, r.cookie(), "cookie");
        assertEquals(code, r.status(), "NBD error (message: " + r.message() + ")");
        if (!r.simple()) assertEquals(Nbd.REPLY_TYPE_ERROR, r.type());
        return r;
    }

    /** A success without data (simple reply, or NONE chunk with extended headers). */
    void expectOk(long cookie) throws IOException {
        Reply r = reply();
        assertEquals(cookie, r.cookie(), "cookie");
        assertEquals(0, r.status(), "error (message: " + r.message() + ")");
        if (extended) {
            assertEquals(Nbd.REPLY_TYPE_NONE, r.type());
            assertEquals(Nbd.REPLY_FLAG_DONE, r.flags());
            assertEquals(0, r.payload().length);
        } else {
            assertEquals(Nbd.SIMPLE_REPLY_MAGIC, r.magic(), "success without data is a simple reply");
        }
    }

    /** Reads {@code length} bytes at {@code offset} and returns them (any reply style). */
    byte[] read(long cookie, long offset, int length) throws IOException { return read(0, cookie, offset, length); }

    byte[] read(int flags, long cookie, long offset, int length) throws IOException {
        request(flags, Nbd.CMD_READ, cookie, offset, length);
        Reply r = reply();
        assertEquals(cookie, r.cookie());
        assertEquals(0, r.status(), "read failed: " + r.message());
        if (r.simple()) return read(length);
        assertEquals(Nbd.REPLY_TYPE_OFFSET_DATA, r.type());
        assertEquals(Nbd.REPLY_FLAG_DONE, r.flags());
        ByteBuffer b = ByteBuffer.wrap(r.payload());
        assertEquals(offset, b.getLong());
        if (extended) assertEquals(offset, r.offset());
        byte[] data = new byte[b.remaining()];
        b.get(data);
        assertEquals(length, data.length);
        return data;
    }

    void disconnect() throws IOException {
        request(0, Nbd.CMD_DISC, 0, 0, 0);
        expectClosed();
    }

    static EOFException eof() { return new EOFException(); }
}
