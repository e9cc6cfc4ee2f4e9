package dev.jnbdkit.it;

import dev.jnbdkit.protocol.Nbd;
import dev.jnbdkit.protocol.OptionRequests;
import dev.jnbdkit.protocol.ProtocolException;
import dev.jnbdkit.protocol.ReplyDecoder;
import dev.jnbdkit.protocol.ReplyDecoder.ReplyHeader;
import dev.jnbdkit.protocol.Request;
import dev.jnbdkit.protocol.RequestDecoder;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The one hand-driven NBD client of the tests, for what real clients never send: extended headers
 * (libnbd 1.14 has none), requests over 64 MiB, unknown commands and flags, raw option haggling,
 * garbage, half messages and vanishing mid-request. It encodes and decodes with the server's own
 * {@code dev.jnbdkit.protocol} codecs; it is blocking and does one thing at a time, except that
 * requests may be pipelined and their replies read later.
 *
 * <p>Three layers, use the highest that says what the test means: whole exchanges that assert
 * ({@link #go(String)}, {@link #expectOk}, {@link #expectError}, {@link #read(long, long, int)},
 * {@link #disconnect}); messages ({@link #sendOption}, {@link #optReply}, {@link #request},
 * {@link #send(int, int, long, long, byte[])}, {@link #reply()}, {@link #reply(long, long)});
 * raw bytes ({@link #send(byte[])}, {@link #readFully(int)}, {@link #expectClosed}). A protocol
 * violation by the server (bad magic, wrong cookie, absurd length) fails the test with an
 * AssertionError; the server closing the connection is an IOException (EOFException).
 *
 * <p>Over TCP every read times out after {@link #TIMEOUT_MS}; over a Unix socket reads cannot time
 * out, so callers run under a JUnit timeout.
 */
public final class RawNbd implements AutoCloseable {
    public static final int TIMEOUT_MS = 10_000;

    // The protocol's numbers under the names the interop tests use (`import static RawNbd.*`).
    public static final long IHAVEOPT = Nbd.IHAVEOPT, NBDMAGIC = Nbd.NBDMAGIC,
            OLDSTYLE_MAGIC = Nbd.OLDSTYLE_MAGIC, REPLY_MAGIC_OPT = Nbd.OPTION_REPLY_MAGIC;
    public static final int OPT_EXPORT_NAME = Nbd.OPT_EXPORT_NAME, OPT_ABORT = Nbd.OPT_ABORT,
            OPT_LIST = Nbd.OPT_LIST, OPT_STARTTLS = Nbd.OPT_STARTTLS, OPT_INFO = Nbd.OPT_INFO,
            OPT_GO = Nbd.OPT_GO, OPT_STRUCTURED_REPLY = Nbd.OPT_STRUCTURED_REPLY,
            OPT_LIST_META_CONTEXT = Nbd.OPT_LIST_META_CONTEXT, OPT_SET_META_CONTEXT = Nbd.OPT_SET_META_CONTEXT,
            OPT_EXTENDED_HEADERS = Nbd.OPT_EXTENDED_HEADERS;
    public static final int REP_ACK = Nbd.REP_ACK, REP_SERVER = Nbd.REP_SERVER, REP_INFO = Nbd.REP_INFO,
            REP_META_CONTEXT = Nbd.REP_META_CONTEXT;
    public static final int REP_ERR_UNSUP = Nbd.REP_ERR_UNSUP, REP_ERR_POLICY = Nbd.REP_ERR_POLICY,
            REP_ERR_INVALID = Nbd.REP_ERR_INVALID, REP_ERR_UNKNOWN = Nbd.REP_ERR_UNKNOWN;
    public static final int INFO_EXPORT = Nbd.INFO_EXPORT, INFO_NAME = Nbd.INFO_NAME,
            INFO_DESCRIPTION = Nbd.INFO_DESCRIPTION, INFO_BLOCK_SIZE = Nbd.INFO_BLOCK_SIZE;
    public static final int CMD_READ = Nbd.CMD_READ, CMD_WRITE = Nbd.CMD_WRITE, CMD_DISC = Nbd.CMD_DISC,
            CMD_FLUSH = Nbd.CMD_FLUSH, CMD_TRIM = Nbd.CMD_TRIM, CMD_CACHE = Nbd.CMD_CACHE,
            CMD_WRITE_ZEROES = Nbd.CMD_WRITE_ZEROES, CMD_BLOCK_STATUS = Nbd.CMD_BLOCK_STATUS;
    public static final int FLAG_FUA = Nbd.CMD_FLAG_FUA, FLAG_NO_HOLE = Nbd.CMD_FLAG_NO_HOLE,
            FLAG_DF = Nbd.CMD_FLAG_DF, FLAG_REQ_ONE = Nbd.CMD_FLAG_REQ_ONE, FLAG_FAST_ZERO = Nbd.CMD_FLAG_FAST_ZERO;
    public static final int REQUEST_MAGIC = Nbd.REQUEST_MAGIC, EXT_REQUEST_MAGIC = Nbd.EXTENDED_REQUEST_MAGIC;
    public static final int SIMPLE_REPLY_MAGIC = Nbd.SIMPLE_REPLY_MAGIC,
            STRUCTURED_REPLY_MAGIC = Nbd.STRUCTURED_REPLY_MAGIC, EXT_REPLY_MAGIC = Nbd.EXTENDED_REPLY_MAGIC;
    public static final int CHUNK_NONE = Nbd.REPLY_TYPE_NONE, CHUNK_OFFSET_DATA = Nbd.REPLY_TYPE_OFFSET_DATA,
            CHUNK_OFFSET_HOLE = Nbd.REPLY_TYPE_OFFSET_HOLE, CHUNK_BLOCK_STATUS = Nbd.REPLY_TYPE_BLOCK_STATUS,
            CHUNK_BLOCK_STATUS_EXT = Nbd.REPLY_TYPE_BLOCK_STATUS_EXT, CHUNK_ERROR = Nbd.REPLY_TYPE_ERROR,
            CHUNK_ERROR_OFFSET = Nbd.REPLY_TYPE_ERROR_OFFSET;
    public static final int EPERM = Nbd.EPERM, EIO = Nbd.EIO, ENOMEM = Nbd.ENOMEM, EINVAL = Nbd.EINVAL,
            ENOSPC = Nbd.ENOSPC, EOVERFLOW = Nbd.EOVERFLOW, ENOTSUP = Nbd.ENOTSUP, ESHUTDOWN = Nbd.ESHUTDOWN;

    /** Longest option reply or reply chunk believed: more means the stream is out of sync. */
    private static final int MAX_OPTION_REPLY = 1 << 20;
    private static final long MAX_CHUNK = 128L << 20;

    /** The connection (for socket options such as SO_LINGER). */
    public final SocketChannel ch;
    public final DataInputStream in;
    public final DataOutputStream out;
    /** What the greeting said, and what was negotiated (set by hand to send what was not). */
    public int handshakeFlags;
    public boolean structured, extended;
    /** The export chosen by the last GO. */
    public long size;
    public int transmissionFlags;
    private long cookie;

    private RawNbd(SocketChannel ch, java.io.InputStream is, java.io.OutputStream os) {
        this.ch = ch;
        in = new DataInputStream(new BufferedInputStream(is, 1 << 16));
        out = new DataOutputStream(new BufferedOutputStream(os, 1 << 16));
    }

    // ---- connecting ------------------------------------------------------------------------

    /** Connected to a Unix socket; nothing read or sent yet. */
    public static RawNbd connect(Path socket) throws IOException {
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            ch.connect(UnixDomainSocketAddress.of(socket));
        } catch (IOException e) {
            ch.close();
            throw e;
        }
        return new RawNbd(ch, Channels.newInputStream(ch), Channels.newOutputStream(ch));
    }

    /** Connected to 127.0.0.1:{@code port}, reads timing out after {@link #TIMEOUT_MS}. */
    public static RawNbd tcp(int port) throws IOException {
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.INET);
        try {
            ch.socket().connect(new InetSocketAddress("127.0.0.1", port), TIMEOUT_MS);
            ch.socket().setSoTimeout(TIMEOUT_MS);
            ch.socket().setTcpNoDelay(true);
        } catch (IOException e) {
            ch.close();
            throw e;
        }
        // The socket adaptor's streams honour SO_TIMEOUT; the channel's own would block forever.
        return new RawNbd(ch, ch.socket().getInputStream(), ch.socket().getOutputStream());
    }

    /** Connected to a Unix socket, fixed newstyle negotiated, and in transmission on {@code name}. */
    public static RawNbd open(Path socket, String name) throws IOException {
        RawNbd c = connect(socket);
        try {
            c.greet();
            c.go(name);
            return c;
        } catch (IOException | RuntimeException | AssertionError e) {
            c.close();
            throw e;
        }
    }

    // ---- raw bytes -------------------------------------------------------------------------

    public void send(byte[] b) throws IOException {
        out.write(b);
        out.flush();
    }

    /** Sends the remaining bytes of each buffer (consuming them). */
    public void send(ByteBuffer... parts) throws IOException {
        for (ByteBuffer b : parts) {
            byte[] a = new byte[b.remaining()];
            b.get(a);
            out.write(a);
        }
        out.flush();
    }

    public long readLong() throws IOException { return in.readLong(); }

    public int readInt() throws IOException { return in.readInt(); }

    public int readShort() throws IOException { return in.readUnsignedShort(); }

    /** Exactly {@code n} bytes. */
    public byte[] read(int n) throws IOException {
        byte[] b = new byte[n];
        in.readFully(b);
        return b;
    }

    /** Exactly {@code n} bytes, as a buffer ready to read. */
    public ByteBuffer readFully(int n) throws IOException { return ByteBuffer.wrap(read(n)); }

    /** The server closes the connection: end of stream (or reset) before the timeout. */
    public void expectClosed() throws IOException {
        try {
            int b = in.read();
            if (b >= 0) fail("expected the server to close the connection, got byte " + b);
        } catch (SocketTimeoutException e) {
            fail("server did not close the connection");
        } catch (IOException e) {
            // connection reset: closed too
        }
    }

    /**
     * True if the server has closed the connection (end of stream or reset); otherwise one byte
     * was read and dropped. Loop on it to wait for a close while discarding replies.
     */
    public boolean closedByServer() {
        try {
            return in.read() < 0;
        } catch (IOException e) {
            return true;
        }
    }

    /**
     * True if the server closes the connection (after any bytes, which are dropped) within
     * {@code timeout}; works on Unix sockets too, whose reads cannot time out.
     */
    public boolean closesWithin(Duration timeout) throws InterruptedException, ExecutionException {
        CompletableFuture<Boolean> f = CompletableFuture.supplyAsync(() -> {
            byte[] b = new byte[4096];
            try {
                while (in.read(b) >= 0) { /* dropped */ }
            } catch (IOException e) {
                // reset: closed too
            }
            return true;
        });
        try {
            return f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            return false;
        }
    }

    /** The next bytes the server sends (up to 64; empty if it closes), waiting at most {@code timeout}. */
    public byte[] nextBytes(Duration timeout) throws InterruptedException, ExecutionException, TimeoutException {
        return CompletableFuture.supplyAsync(() -> {
            byte[] b = new byte[64];
            try {
                int n = in.read(b);
                return n <= 0 ? new byte[0] : Arrays.copyOf(b, n);
            } catch (IOException e) {
                return new byte[0];
            }
        }).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Reads everything until the server closes (fails on timeout). */
    public byte[] readToEnd() throws IOException {
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

    public void shutdownOutput() throws IOException { ch.shutdownOutput(); }

    @Override public void close() {
        try {
            ch.close();
        } catch (IOException ignored) {
            // already gone
        }
    }

    // ---- handshake -------------------------------------------------------------------------

    /** Reads the newstyle greeting; returns the global flags. */
    public int greeting() throws IOException {
        assertEquals(Nbd.NBDMAGIC, readLong(), "NBDMAGIC");
        assertEquals(Nbd.IHAVEOPT, readLong(), "IHAVEOPT");
        handshakeFlags = readShort();
        return handshakeFlags;
    }

    public void clientFlags(int flags) throws IOException { send(OptionRequests.clientFlags(flags)); }

    /** Greeting, then the client flags the server offered of fixed newstyle and no zeroes. */
    public RawNbd greet() throws IOException {
        greeting();
        if ((handshakeFlags & Nbd.FLAG_FIXED_NEWSTYLE) == 0) throw new IOException("server is not fixed newstyle");
        clientFlags(handshakeFlags & (Nbd.FLAG_C_FIXED_NEWSTYLE | Nbd.FLAG_C_NO_ZEROES));
        return this;
    }

    /** Greeting, which must offer exactly fixed newstyle and no zeroes, then both. */
    public RawNbd start() throws IOException {
        int g = greeting();
        assertEquals(Nbd.FLAG_FIXED_NEWSTYLE | Nbd.FLAG_NO_ZEROES, g);
        clientFlags(g);
        return this;
    }

    /** One option reply. */
    public record OptReply(int option, int type, byte[] data) {
        public boolean isError() { return (type & 0x80000000) != 0; }

        public ByteBuffer buf() { return ByteBuffer.wrap(data); }

        public String text() { return new String(data, StandardCharsets.UTF_8); }

        @Override public String toString() {
            return "option " + option + " reply 0x" + Integer.toHexString(type) + " (" + data.length + " bytes)";
        }
    }

    /** Sends an option request (nothing is read). */
    public void sendOption(int opt, byte[] data) throws IOException { send(OptionRequests.option(opt, data)); }

    /** Sends an option request (nothing is read); the same as {@link #sendOption}. */
    public void option(int opt, byte[] data) throws IOException { sendOption(opt, data); }

    public OptReply optReply() throws IOException {
        ReplyDecoder.OptionReplyHeader h;
        try {
            h = ReplyDecoder.optionReply(readFully(ReplyDecoder.OPTION_REPLY_HEADER_SIZE));
        } catch (ProtocolException e) {
            throw new AssertionError(e.getMessage());
        }
        if (h.length() > MAX_OPTION_REPLY) fail("implausible option reply length " + h.length());
        return new OptReply(h.option(), h.type(), read((int) h.length()));
    }

    /** The same as {@link #optReply}. */
    public OptReply readOptReply() throws IOException { return optReply(); }

    /** Sends an option without data and returns its single reply. */
    public OptReply option(int opt) throws IOException {
        sendOption(opt, new byte[0]);
        return optReply();
    }

    /** Sends an option and collects replies up to and including the final ACK or error. */
    public List<OptReply> optionAll(int opt, byte[] data) throws IOException {
        sendOption(opt, data);
        List<OptReply> l = new ArrayList<>();
        while (true) {
            OptReply r = optReply();
            assertEquals(opt, r.option(), "reply to the option sent");
            l.add(r);
            if (r.type() == Nbd.REP_ACK || r.isError()) return l;
        }
    }

    /** The same as {@link #optionAll}. */
    public List<OptReply> exchange(int opt, byte[] data) throws IOException { return optionAll(opt, data); }

    /** An option answered by exactly one reply. */
    public OptReply single(int opt, byte[] payload) throws IOException {
        List<OptReply> l = optionAll(opt, payload);
        assertEquals(1, l.size(), "one reply");
        return l.getFirst();
    }

    /** An option without data that must be acknowledged. */
    public void ack(int opt) throws IOException {
        OptReply r = single(opt, new byte[0]);
        assertEquals(Nbd.REP_ACK, r.type(), r.text());
    }

    public static byte[] exportRequest(String name, int... infos) { return OptionRequests.exportRequest(name, infos); }

    public static byte[] metaRequest(String export, String... queries) {
        return OptionRequests.metaRequest(export, queries);
    }

    /** The export a GO chose. */
    public record Export(long size, int flags) {}

    /** NBD_OPT_GO on {@code name}, which must succeed: the export's size and transmission flags. */
    public Export go(String name) throws IOException {
        goReplies(name);
        return new Export(size, transmissionFlags);
    }

    /** NBD_OPT_GO on {@code name} asking for {@code infos}, which must succeed: all its replies. */
    public List<OptReply> go(String name, int... infos) throws IOException { return goReplies(name, infos); }

    private List<OptReply> goReplies(String name, int... infos) throws IOException {
        List<OptReply> l = optionAll(Nbd.OPT_GO, exportRequest(name, infos));
        OptReply last = l.getLast();
        if (last.type() != Nbd.REP_ACK) fail("GO failed: type 0x" + Integer.toHexString(last.type()) + " " + last.text());
        boolean export = false;
        for (OptReply r : l) {
            if (r.type() == Nbd.REP_INFO && r.buf().getShort() == Nbd.INFO_EXPORT) {
                ByteBuffer b = r.buf();
                b.getShort();
                size = b.getLong();
                transmissionFlags = Short.toUnsignedInt(b.getShort());
                export = true;
            }
        }
        if (!export) throw new AssertionError("no NBD_INFO_EXPORT");
        return l;
    }

    /** Negotiates structured replies (or extended headers), then GO on the default export. */
    public RawNbd open(boolean wantExtended) throws IOException {
        greet();
        if (wantExtended) {
            OptReply r = option(Nbd.OPT_EXTENDED_HEADERS);
            if (r.type() != Nbd.REP_ACK) throw new IOException("NBD_OPT_EXTENDED_HEADERS refused: " + r);
            extended = true;
        } else {
            OptReply r = option(Nbd.OPT_STRUCTURED_REPLY);
            if (r.type() != Nbd.REP_ACK) throw new IOException("NBD_OPT_STRUCTURED_REPLY refused: " + r);
            structured = true;
        }
        go("");
        return this;
    }

    // ---- transmission: requests ------------------------------------------------------------

    /** A request header in the negotiated style ({@link #extended}), ready to send. */
    public ByteBuffer header(int flags, int type, long cookie, long offset, long length) {
        ByteBuffer b = ByteBuffer.allocate(RequestDecoder.headerSize(extended));
        RequestDecoder.encode(b, new Request(flags, type, cookie, offset, length), extended);
        return b.flip();
    }

    /** Sends a request header with the caller's cookie. */
    public void request(int flags, int type, long cookie, long offset, long length) throws IOException {
        send(header(flags, type, cookie, offset, length));
    }

    /** Sends a request (and its payload, if any) with the next cookie; returns the cookie. */
    public long request(int flags, int type, long offset, long length, byte[] payload) throws IOException {
        long c = ++cookie;
        ByteBuffer h = header(flags, type, c, offset, length);
        if (payload == null) send(h); else send(h, ByteBuffer.wrap(payload));
        return c;
    }

    /** As {@link #request(int, int, long, long, byte[])}, command type first. */
    public long send(int type, int flags, long offset, long length, byte[] payload) throws IOException {
        return request(flags, type, offset, length, payload);
    }

    /** A write with the caller's cookie. */
    public void write(int flags, long cookie, long offset, byte[] data) throws IOException {
        request(flags, Nbd.CMD_WRITE, cookie, offset, data.length);
        send(data);
    }

    /** Sends a write whose payload is {@code length} bytes of {@code fill}, streamed. */
    public long sendWrite(int flags, long offset, long length, byte fill) throws IOException {
        long c = request(flags, Nbd.CMD_WRITE, offset, length, null);
        byte[] buf = new byte[1 << 20];
        Arrays.fill(buf, fill);
        for (long left = length; left > 0; ) {
            int n = (int) Math.min(buf.length, left);
            out.write(buf, 0, n);
            left -= n;
        }
        out.flush();
        return c;
    }

    // ---- transmission: replies -------------------------------------------------------------

    /**
     * One reply: a simple reply (its read data, if any, is read only by
     * {@link #reply(long, long)}), or one chunk with its whole payload. {@code error} is the NBD
     * error of a simple reply or of an error chunk, else 0.
     */
    public record Chunk(int magic, int flags, int type, long cookie, long offset, int error, byte[] payload) {
        public boolean simple() { return magic == Nbd.SIMPLE_REPLY_MAGIC; }

        public boolean done() { return simple() || (flags & Nbd.REPLY_FLAG_DONE) != 0; }

        public boolean isError() { return error != 0; }

        /** The same as {@link #error()}. */
        public int status() { return error; }

        /** The message of an error chunk, or "". */
        public String message() {
            if (simple() || (type & 0x8000) == 0) return "";
            ByteBuffer b = ByteBuffer.wrap(payload);
            b.getInt();
            int n = Short.toUnsignedInt(b.getShort());
            return new String(payload, 6, n, StandardCharsets.UTF_8);
        }
    }

    /** The next reply or chunk, whatever its cookie; a simple reply's data is left unread. */
    public Chunk reply() throws IOException { return readChunk(0); }

    /** All chunks of the reply to {@code expectCookie}; {@code readLen} is the data length of a read. */
    public List<Chunk> reply(long expectCookie, long readLen) throws IOException {
        List<Chunk> l = new ArrayList<>();
        while (true) {
            Chunk c = readChunk(readLen);
            if (c.cookie() != expectCookie) fail("reply for cookie " + c.cookie() + ", expected " + expectCookie);
            l.add(c);
            if (c.done()) return l;
        }
    }

    /** A simple reply to {@code expectCookie}: its NBD error (0 = success; read data is left unread). */
    public int reply(long expectCookie) throws IOException {
        Chunk c = reply();
        if (!c.simple()) fail("expected a simple reply, got magic 0x" + Integer.toHexString(c.magic()));
        if (c.cookie() != expectCookie) fail("reply for cookie " + c.cookie() + ", expected " + expectCookie);
        return c.error();
    }

    private Chunk readChunk(long simpleReadLen) throws IOException {
        int magic = readInt();
        ReplyHeader h;
        try {
            ByteBuffer b = ByteBuffer.allocate(ReplyDecoder.headerSize(magic));
            b.putInt(magic).put(read(b.remaining()));
            h = ReplyDecoder.reply(b.flip());
        } catch (ProtocolException e) {
            throw new AssertionError(e.getMessage());
        }
        if (h.simple()) {
            byte[] data = h.error() == 0 && simpleReadLen > 0 ? read((int) simpleReadLen) : new byte[0];
            return new Chunk(magic, 0, 0, h.cookie(), 0, h.error(), data);
        }
        if ((magic == Nbd.EXTENDED_REPLY_MAGIC) != extended) {
            fail("reply style does not match the negotiated headers: magic 0x" + Integer.toHexString(magic));
        }
        if (h.length() > MAX_CHUNK) fail("implausible chunk length " + h.length());
        byte[] p = read((int) h.length());
        int err = 0;
        if (h.errorChunk()) {
            err = ByteBuffer.wrap(p).getInt();
            if (err == 0) fail("error chunk with error 0");
        }
        return new Chunk(magic, h.flags(), h.type(), h.cookie(), h.offset(), err, p);
    }

    /** The error of a reply (0 for success). */
    public static int error(List<Chunk> chunks) {
        for (Chunk c : chunks) if (c.isError()) return c.error();
        return 0;
    }

    /** Reassembles read data from simple or structured/extended chunks. */
    public static byte[] readData(List<Chunk> chunks, long offset, int len) {
        byte[] d = new byte[len];
        for (Chunk c : chunks) {
            if (c.simple()) return c.payload();
            ByteBuffer b = ByteBuffer.wrap(c.payload());
            if (c.type() == Nbd.REPLY_TYPE_OFFSET_DATA) {
                long o = b.getLong();
                b.get(d, (int) (o - offset), b.remaining());
            }
            // OFFSET_HOLE: zeroes, and d is zero already
        }
        return d;
    }

    /** A reply expected to be an error with {@code code}, for {@code cookie}. */
    public Chunk expectError(long cookie, int code) throws IOException {
        Chunk r = reply();
        assertEquals(cookie, r.cookie(), "cookie");
        assertEquals(code, r.status(), "NBD error (message: " + r.message() + ")");
        if (!r.simple()) assertEquals(Nbd.REPLY_TYPE_ERROR, r.type());
        return r;
    }

    /** A success without data (simple reply, or NONE chunk with extended headers). */
    public void expectOk(long cookie) throws IOException {
        Chunk r = reply();
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

    // ---- transmission: whole commands ------------------------------------------------------

    /** A command without payload and its error (0 = success). */
    public int simple(int type, int flags, long offset, long length) throws IOException {
        long c = request(flags, type, offset, length, null);
        return error(reply(c, 0));
    }

    /** Reads {@code len} bytes at {@code offset} in any reply style; an error throws IOException. */
    public byte[] read(long offset, int len) throws IOException {
        long c = request(0, Nbd.CMD_READ, offset, len, null);
        List<Chunk> r = reply(c, len);
        int e = error(r);
        if (e != 0) throw new IOException("read failed: errno " + e);
        return readData(r, offset, len);
    }

    /** Reads {@code length} bytes at {@code offset} with {@code cookie}: one data chunk or a simple reply. */
    public byte[] read(long cookie, long offset, int length) throws IOException { return read(0, cookie, offset, length); }

    public byte[] read(int flags, long cookie, long offset, int length) throws IOException {
        request(flags, Nbd.CMD_READ, cookie, offset, length);
        Chunk r = reply();
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

    /** Reads into {@code dst} with simple replies; returns the NBD error (0 = success, dst filled). */
    public int read(long offset, byte[] dst) throws IOException {
        long c = request(0, Nbd.CMD_READ, offset, dst.length, null);
        int e = reply(c);
        if (e == 0) in.readFully(dst);
        return e;
    }

    /** Writes {@code data} with simple replies; returns the NBD error (0 = success). */
    public int write(long offset, byte[] data, int flags) throws IOException {
        return reply(request(flags, Nbd.CMD_WRITE, offset, data.length, data));
    }

    /** Flush with simple replies; returns the NBD error (0 = success). */
    public int flush() throws IOException { return reply(request(0, Nbd.CMD_FLUSH, 0, 0, null)); }

    /** NBD_CMD_DISC, then the server must close the connection. */
    public void disconnect() throws IOException {
        request(0, Nbd.CMD_DISC, 0, 0, 0);
        expectClosed();
    }
}
