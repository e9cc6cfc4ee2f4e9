package dev.jnbdkit.it;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A deliberately small NBD client written from nbd-protocol.md, for what libnbd 1.14 (Debian 12)
 * cannot send: extended headers, requests over 64 MiB, unknown commands, raw option haggling.
 * Blocking, one request at a time, big-endian as the protocol.
 */
final class RawNbd implements AutoCloseable {
    static final long IHAVEOPT = 0x49484156454F5054L;
    static final long NBDMAGIC = 0x4e42444d41474943L;
    static final long OLDSTYLE_MAGIC = 0x00420281861253L;
    static final long REPLY_MAGIC_OPT = 0x3e889045565a9L;

    static final int OPT_EXPORT_NAME = 1, OPT_ABORT = 2, OPT_LIST = 3, OPT_STARTTLS = 5, OPT_INFO = 6,
            OPT_GO = 7, OPT_STRUCTURED_REPLY = 8, OPT_LIST_META_CONTEXT = 9, OPT_SET_META_CONTEXT = 10,
            OPT_EXTENDED_HEADERS = 11;
    static final int REP_ACK = 1, REP_SERVER = 2, REP_INFO = 3, REP_META_CONTEXT = 4;
    static final int REP_ERR_UNSUP = 0x80000001, REP_ERR_POLICY = 0x80000002,
            REP_ERR_INVALID = 0x80000003, REP_ERR_UNKNOWN = 0x80000006;
    static final int INFO_EXPORT = 0, INFO_NAME = 1, INFO_DESCRIPTION = 2, INFO_BLOCK_SIZE = 3;

    static final int CMD_READ = 0, CMD_WRITE = 1, CMD_DISC = 2, CMD_FLUSH = 3, CMD_TRIM = 4,
            CMD_CACHE = 5, CMD_WRITE_ZEROES = 6, CMD_BLOCK_STATUS = 7;
    static final int FLAG_FUA = 1, FLAG_NO_HOLE = 2, FLAG_DF = 4, FLAG_REQ_ONE = 8, FLAG_FAST_ZERO = 16;

    static final int REQUEST_MAGIC = 0x25609513, EXT_REQUEST_MAGIC = 0x21e41c71;
    static final int SIMPLE_REPLY_MAGIC = 0x67446698, STRUCTURED_REPLY_MAGIC = 0x668e33ef,
            EXT_REPLY_MAGIC = 0x6e8a278c;
    static final int CHUNK_NONE = 0, CHUNK_OFFSET_DATA = 1, CHUNK_OFFSET_HOLE = 2,
            CHUNK_BLOCK_STATUS = 5, CHUNK_BLOCK_STATUS_EXT = 6, CHUNK_ERROR = 0x8001,
            CHUNK_ERROR_OFFSET = 0x8002;

    static final int EPERM = 1, EIO = 5, ENOMEM = 12, EINVAL = 22, ENOSPC = 28, EOVERFLOW = 75,
            ENOTSUP = 95, ESHUTDOWN = 108;

    private final SocketChannel ch;
    final DataInputStream in;
    final DataOutputStream out;
    int handshakeFlags;
    boolean structured, extended;
    long size;
    int transmissionFlags;
    private long cookie = 1;

    private RawNbd(SocketChannel ch) {
        this.ch = ch;
        InputStream is = Channels.newInputStream(ch);
        OutputStream os = Channels.newOutputStream(ch);
        in = new DataInputStream(new java.io.BufferedInputStream(is, 1 << 16));
        out = new DataOutputStream(new java.io.BufferedOutputStream(os, 1 << 16));
    }

    static RawNbd connect(Path socket) throws IOException {
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        ch.connect(UnixDomainSocketAddress.of(socket));
        return new RawNbd(ch);
    }

    /** Reads the newstyle greeting and sends the client flags (fixed newstyle, no zeroes). */
    RawNbd greet() throws IOException {
        long m = in.readLong();
        if (m != NBDMAGIC) throw new IOException("bad magic " + Long.toHexString(m));
        long m2 = in.readLong();
        if (m2 != IHAVEOPT) throw new IOException("not newstyle: " + Long.toHexString(m2));
        handshakeFlags = in.readUnsignedShort();
        if ((handshakeFlags & 1) == 0) throw new IOException("server is not fixed newstyle");
        out.writeInt(handshakeFlags & 3);
        out.flush();
        return this;
    }

    record OptReply(int option, int type, byte[] data) {
        boolean isError() { return (type & 0x80000000) != 0; }

        @Override public String toString() {
            return "option " + option + " reply 0x" + Integer.toHexString(type) + " (" + data.length + " bytes)";
        }
    }

    void sendOption(int opt, byte[] data) throws IOException {
        out.writeLong(IHAVEOPT);
        out.writeInt(opt);
        out.writeInt(data.length);
        out.write(data);
        out.flush();
    }

    OptReply readOptReply() throws IOException {
        long m = in.readLong();
        if (m != REPLY_MAGIC_OPT) throw new IOException("bad option reply magic " + Long.toHexString(m));
        int opt = in.readInt(), type = in.readInt(), len = in.readInt();
        byte[] d = new byte[len];
        in.readFully(d);
        return new OptReply(opt, type, d);
    }

    /** Sends an option without data and returns its single reply. */
    OptReply option(int opt) throws IOException {
        sendOption(opt, new byte[0]);
        return readOptReply();
    }

    /** Sends an option and collects replies up to and including the final ACK or error. */
    List<OptReply> optionAll(int opt, byte[] data) throws IOException {
        sendOption(opt, data);
        List<OptReply> l = new ArrayList<>();
        while (true) {
            OptReply r = readOptReply();
            l.add(r);
            if (r.type() == REP_ACK || r.isError()) return l;
        }
    }

    static byte[] exportRequest(String name, int... infos) {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(4 + n.length + 2 + 2 * infos.length);
        b.putInt(n.length).put(n).putShort((short) infos.length);
        for (int i : infos) b.putShort((short) i);
        return b.array();
    }

    static byte[] metaRequest(String export, String... queries) {
        byte[] n = export.getBytes(StandardCharsets.UTF_8);
        java.io.ByteArrayOutputStream bo = new java.io.ByteArrayOutputStream();
        DataOutputStream d = new DataOutputStream(bo);
        try {
            d.writeInt(n.length);
            d.write(n);
            d.writeInt(queries.length);
            for (String q : queries) {
                byte[] qb = q.getBytes(StandardCharsets.UTF_8);
                d.writeInt(qb.length);
                d.write(qb);
            }
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        return bo.toByteArray();
    }

    /** NBD_OPT_GO on {@code name}; on success records size and flags. Returns all replies. */
    List<OptReply> go(String name, int... infos) throws IOException {
        List<OptReply> l = optionAll(OPT_GO, exportRequest(name, infos));
        OptReply last = l.get(l.size() - 1);
        if (last.type() != REP_ACK) throw new IOException("NBD_OPT_GO failed: " + last);
        for (OptReply r : l) {
            if (r.type() == REP_INFO) {
                java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(r.data());
                if (b.getShort() == INFO_EXPORT) {
                    size = b.getLong();
                    transmissionFlags = b.getShort() & 0xffff;
                }
            }
        }
        return l;
    }

    /** Negotiates structured replies (or extended headers) then GO on the default export. */
    RawNbd open(boolean wantExtended) throws IOException {
        greet();
        if (wantExtended) {
            OptReply r = option(OPT_EXTENDED_HEADERS);
            if (r.type() != REP_ACK) throw new IOException("NBD_OPT_EXTENDED_HEADERS refused: " + r);
            extended = true;
        } else {
            OptReply r = option(OPT_STRUCTURED_REPLY);
            if (r.type() != REP_ACK) throw new IOException("NBD_OPT_STRUCTURED_REPLY refused: " + r);
            structured = true;
        }
        go("");
        return this;
    }

    // ---- transmission ----------------------------------------------------------------------

    long send(int type, int flags, long offset, long length, byte[] payload) throws IOException {
        long c = cookie++;
        if (extended) {
            out.writeInt(EXT_REQUEST_MAGIC);
            out.writeShort(flags);
            out.writeShort(type);
            out.writeLong(c);
            out.writeLong(offset);
            out.writeLong(length);
        } else {
            out.writeInt(REQUEST_MAGIC);
            out.writeShort(flags);
            out.writeShort(type);
            out.writeLong(c);
            out.writeLong(offset);
            out.writeInt((int) length);
        }
        if (payload != null) out.write(payload);
        out.flush();
        return c;
    }

    /** Sends a write whose payload is {@code length} bytes of {@code fill}, streamed. */
    long sendWrite(int flags, long offset, long length, byte fill) throws IOException {
        long c = send(CMD_WRITE, flags, offset, length, null);
        byte[] buf = new byte[1 << 20];
        java.util.Arrays.fill(buf, fill);
        for (long left = length; left > 0; ) {
            int n = (int) Math.min(buf.length, left);
            out.write(buf, 0, n);
            left -= n;
        }
        out.flush();
        return c;
    }

    /** One reply chunk (a simple reply is a single chunk of type -1 with DONE). */
    record Chunk(int magic, int flags, int type, long cookie, long offset, int error, byte[] payload) {
        boolean done() { return magic == SIMPLE_REPLY_MAGIC || (flags & 1) != 0; }

        boolean isError() { return error != 0; }
    }

    /** All chunks of the reply to {@code cookie}; {@code readLen} is the data length of a read. */
    List<Chunk> reply(long expectCookie, long readLen) throws IOException {
        List<Chunk> l = new ArrayList<>();
        while (true) {
            Chunk c = readChunk(readLen);
            if (c.cookie() != expectCookie) {
                throw new IOException("reply for cookie " + c.cookie() + ", expected " + expectCookie);
            }
            l.add(c);
            if (c.done()) return l;
        }
    }

    private Chunk readChunk(long readLen) throws IOException {
        int magic = in.readInt();
        if (magic == SIMPLE_REPLY_MAGIC) {
            int err = in.readInt();
            long c = in.readLong();
            byte[] data = new byte[0];
            if (err == 0 && readLen > 0) {
                data = new byte[(int) readLen];
                in.readFully(data);
            }
            return new Chunk(magic, 1, -1, c, 0, err, data);
        }
        int flags, type;
        long c, offset = 0, len;
        if (magic == STRUCTURED_REPLY_MAGIC) {
            flags = in.readUnsignedShort();
            type = in.readUnsignedShort();
            c = in.readLong();
            len = in.readInt() & 0xffffffffL;
        } else if (magic == EXT_REPLY_MAGIC) {
            flags = in.readUnsignedShort();
            type = in.readUnsignedShort();
            c = in.readLong();
            offset = in.readLong();
            len = in.readLong();
        } else {
            throw new IOException("bad reply magic 0x" + Integer.toHexString(magic));
        }
        if (len > (128L << 20)) throw new IOException("absurd chunk length " + len);
        byte[] p = new byte[(int) len];
        in.readFully(p);
        int err = 0;
        if ((type & 0x8000) != 0) {
            err = java.nio.ByteBuffer.wrap(p).getInt();
            if (err == 0) throw new IOException("error chunk with error 0");
        }
        return new Chunk(magic, flags, type, c, offset, err, p);
    }

    /** The error of a reply (0 for success). */
    static int error(List<Chunk> chunks) {
        for (Chunk c : chunks) if (c.isError()) return c.error();
        return 0;
    }

    /** Reassembles read data from simple or structured/extended chunks. */
    static byte[] readData(List<Chunk> chunks, long offset, int len) {
        byte[] d = new byte[len];
        for (Chunk c : chunks) {
            if (c.magic() == SIMPLE_REPLY_MAGIC) return c.payload();
            java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(c.payload());
            if (c.type() == CHUNK_OFFSET_DATA) {
                long o = b.getLong();
                b.get(d, (int) (o - offset), b.remaining());
            } else if (c.type() == CHUNK_OFFSET_HOLE) {
                b.getLong(); // zeroes: d is already zero
            }
        }
        return d;
    }

    /** Convenience: a command without payload, its error (0 = success). */
    int simple(int type, int flags, long offset, long length) throws IOException {
        long c = send(type, flags, offset, length, null);
        return error(reply(c, 0));
    }

    byte[] read(long offset, int len) throws IOException {
        long c = send(CMD_READ, 0, offset, len, null);
        List<Chunk> r = reply(c, len);
        int e = error(r);
        if (e != 0) throw new IOException("read failed: errno " + e);
        return readData(r, offset, len);
    }

    void disconnect() throws IOException {
        send(CMD_DISC, 0, 0, 0, null);
    }

    @Override public void close() throws IOException {
        ch.close();
    }
}
