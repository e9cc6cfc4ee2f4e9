package dev.jnbdkit.plugins.ssh;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * The client side of SFTP version 3 (draft-ietf-secsh-filexfer-02, the version OpenSSH speaks)
 * over the byte streams of an SSH "sftp" subsystem channel: just what serving one remote file
 * needs. JSch's ChannelSftp is built for whole-file transfers (it has no positioned read or
 * write on an open handle and no fsync), so the few messages are spoken here.
 *
 * <p>Large reads and writes are split into pieces sent back to back before the replies are
 * collected, so one NBD request costs about one round trip rather than one per piece. Not
 * thread-safe: the plugin serializes the requests of a connection.
 */
final class Sftp {
    private static final int VERSION = 3;

    private static final byte FXP_INIT = 1;
    private static final byte FXP_VERSION = 2;
    private static final byte FXP_OPEN = 3;
    private static final byte FXP_CLOSE = 4;
    private static final byte FXP_READ = 5;
    private static final byte FXP_WRITE = 6;
    private static final byte FXP_FSTAT = 8;
    private static final byte FXP_FSETSTAT = 10;
    private static final byte FXP_STATUS = 101;
    private static final byte FXP_HANDLE = 102;
    private static final byte FXP_DATA = 103;
    private static final byte FXP_ATTRS = 105;
    private static final byte FXP_EXTENDED = (byte) 200;

    static final int FXF_READ = 0x01;
    static final int FXF_WRITE = 0x02;
    static final int FXF_CREAT = 0x08;
    static final int FXF_TRUNC = 0x10;

    private static final int ATTR_SIZE = 0x01;
    private static final int ATTR_PERMISSIONS = 0x04;

    /** Bytes asked for or sent per READ/WRITE message: within every server's packet limit. */
    private static final int PIECE = 32 * 1024;
    /**
     * Pieces in flight at once. Their replies must fit in the channel's receive window and JSch's
     * input pipe (1 MiB each) so that sending the next request can never wait on our own reading.
     */
    private static final int IN_FLIGHT = 16;

    private final DataInputStream in;
    private final OutputStream out;
    private final Map<String, String> extensions = new HashMap<>();
    private int nextId = 1;

    private Sftp(InputStream in, OutputStream out) {
        this.in = new DataInputStream(in);
        this.out = out;
    }

    /** SSH_FXP_INIT / SSH_FXP_VERSION over a freshly opened subsystem channel. */
    static Sftp start(InputStream in, OutputStream out) throws IOException {
        Sftp s = new Sftp(in, out);
        Message init = new Message(FXP_INIT);
        init.u32(VERSION);
        s.send(init);
        Reply v = s.receive();
        if (v.type != FXP_VERSION) throw new IOException("SFTP server sent message " + v.type + " instead of its version");
        int version = v.u32();
        if (version < VERSION) throw new IOException("SFTP server speaks version " + version + ", 3 is needed");
        while (v.remaining() > 0) s.extensions.put(v.string(), v.string());
        return s;
    }

    /** Whether the server announced extension {@code name} at version {@code version}. */
    boolean hasExtension(String name, String version) {
        return version.equals(extensions.get(name));
    }

    /** SSH_FXP_OPEN: the handle; {@code permissions} (or -1) only matters when creating. */
    byte[] open(String path, int pflags, int permissions) throws IOException {
        Message m = request(FXP_OPEN);
        m.string(path.getBytes(StandardCharsets.UTF_8));
        m.u32(pflags);
        if (permissions >= 0) {
            m.u32(ATTR_PERMISSIONS);
            m.u32(permissions);
        } else {
            m.u32(0);
        }
        send(m);
        Reply r = replyTo(m);
        if (r.type != FXP_HANDLE) throw unexpected(r);
        return r.bytes();
    }

    void close(byte[] handle) throws IOException {
        Message m = request(FXP_CLOSE);
        m.string(handle);
        send(m);
        expectOk(replyTo(m));
    }

    /** SSH_FXP_FSTAT: the file's size. */
    long size(byte[] handle) throws IOException {
        Message m = request(FXP_FSTAT);
        m.string(handle);
        send(m);
        Reply r = replyTo(m);
        if (r.type != FXP_ATTRS) throw unexpected(r);
        int flags = r.u32();
        if ((flags & ATTR_SIZE) == 0) throw new IOException("SFTP server did not send the file's size");
        return r.u64();
    }

    /** SSH_FXP_FSETSTAT with a size: truncates or extends the file. */
    void truncate(byte[] handle, long size) throws IOException {
        Message m = request(FXP_FSETSTAT);
        m.string(handle);
        m.u32(ATTR_SIZE);
        m.u64(size);
        send(m);
        expectOk(replyTo(m));
    }

    /** The fsync@openssh.com extension. */
    void fsync(byte[] handle) throws IOException {
        Message m = request(FXP_EXTENDED);
        m.string("fsync@openssh.com".getBytes(StandardCharsets.US_ASCII));
        m.string(handle);
        send(m);
        expectOk(replyTo(m));
    }

    /** Reads {@code dst.byteSize()} bytes at {@code offset}; the end of the file first is an error. */
    void read(byte[] handle, long offset, MemorySegment dst) throws IOException {
        long total = dst.byteSize();
        long done = 0;   // dst is filled up to here; replies come in order
        ArrayDeque<Piece> pending = new ArrayDeque<>();
        while (done < total) {
            long asked = done;
            while (asked < total || !pending.isEmpty()) {
                while (asked < total && pending.size() < IN_FLIGHT) {
                    int n = (int) Math.min(PIECE, total - asked);
                    Message m = request(FXP_READ);
                    m.string(handle);
                    m.u64(offset + asked);
                    m.u32(n);
                    write(m);
                    pending.add(new Piece(m.id, asked, n));
                    asked += n;
                }
                out.flush();
                Piece p = pending.remove();
                Reply r = replyTo(p.id);
                if (r.type == FXP_STATUS) {
                    int code = r.u32();
                    String message = code == SftpStatusException.EOF || r.remaining() < 4 ? "" : r.string();
                    drain(pending);   // the channel stays in step for the next request
                    throw new SftpStatusException(code, message);
                }
                if (r.type != FXP_DATA) throw unexpected(r);
                int got = r.u32();
                if (got > p.length) throw new IOException("SFTP server sent " + got + " bytes for a read of " + p.length);
                if (got == 0) throw new IOException("SFTP server sent no data for a read");
                r.copyTo(dst.asSlice(p.at, got));
                done = p.at + got;
                if (got < p.length) {
                    // A short read (a server limit): forget the pieces after it and ask again from here.
                    drain(pending);
                    break;
                }
            }
        }
    }

    /** Writes all of {@code src} at {@code offset}. */
    void write(byte[] handle, long offset, MemorySegment src) throws IOException {
        long total = src.byteSize();
        long sent = 0;
        ArrayDeque<Piece> pending = new ArrayDeque<>();
        IOException first = null;
        while (sent < total || !pending.isEmpty()) {
            while (first == null && sent < total && pending.size() < IN_FLIGHT) {
                int n = (int) Math.min(PIECE, total - sent);
                Message m = request(FXP_WRITE);
                m.string(handle);
                m.u64(offset + sent);
                m.segment(src.asSlice(sent, n));
                write(m);
                pending.add(new Piece(m.id, sent, n));
                sent += n;
            }
            out.flush();
            if (pending.isEmpty()) break;
            Piece p = pending.remove();
            try {
                expectOk(replyTo(p.id));
            } catch (SftpStatusException e) {
                if (first == null) first = e;   // collect the replies still due, then fail
            }
        }
        if (first != null) throw first;
    }

    /** Reads and drops the replies to requests sent but no longer wanted. */
    private void drain(ArrayDeque<Piece> pending) throws IOException {
        while (!pending.isEmpty()) replyTo(pending.remove().id);
    }

    private record Piece(int id, long at, int length) {}

    private Message request(byte type) {
        Message m = new Message(type);
        m.id = nextId++;
        m.u32(m.id);
        return m;
    }

    private void send(Message m) throws IOException {
        write(m);
        out.flush();
    }

    private void write(Message m) throws IOException {
        m.writeTo(out);
    }

    private Reply replyTo(Message m) throws IOException { return replyTo(m.id); }

    /** The reply to request {@code id}; the server answers in order (OpenSSH does), so it is the next one. */
    private Reply replyTo(int id) throws IOException {
        Reply r = receive();
        int got = r.u32();
        if (got != id) throw new IOException("SFTP server answered request " + got + " when " + id + " was due");
        return r;
    }

    private Reply receive() throws IOException {
        int length;
        try {
            length = in.readInt();
        } catch (EOFException e) {
            throw new IOException("SFTP channel closed by the server");
        }
        if (length < 1 || length > (1 << 20) + 1024) throw new IOException("SFTP message of bad length " + length);
        byte[] body = new byte[length];
        in.readFully(body);
        return new Reply(body);
    }

    private static void expectOk(Reply r) throws IOException {
        if (r.type != FXP_STATUS) throw unexpected(r);
        int code = r.u32();
        if (code != 0) throw new SftpStatusException(code, r.remaining() >= 4 ? r.string() : "");
    }

    private static IOException unexpected(Reply r) throws IOException {
        if (r.type == FXP_STATUS) {
            int code = r.u32();
            return new SftpStatusException(code, r.remaining() >= 4 ? r.string() : "");
        }
        return new IOException("SFTP server sent unexpected message " + (r.type & 0xff));
    }

    /** An outgoing message: its type byte and fields, the length prefixed when written. */
    private static final class Message {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream(64);
        private final DataOutputStream data = new DataOutputStream(bytes);
        private MemorySegment tail;
        int id;

        Message(byte type) { bytes.write(type); }

        void u32(int v) {
            try { data.writeInt(v); } catch (IOException e) { throw new AssertionError(e); }
        }

        void u64(long v) {
            try { data.writeLong(v); } catch (IOException e) { throw new AssertionError(e); }
        }

        void string(byte[] s) {
            u32(s.length);
            bytes.writeBytes(s);
        }

        /** The data of a WRITE: the string's length now, its bytes straight from {@code s} when sent. */
        void segment(MemorySegment s) {
            u32((int) s.byteSize());
            tail = s;
        }

        void writeTo(OutputStream out) throws IOException {
            int tailLength = tail == null ? 0 : (int) tail.byteSize();
            int length = bytes.size() + tailLength;
            out.write(new byte[] {(byte) (length >>> 24), (byte) (length >>> 16), (byte) (length >>> 8), (byte) length});
            bytes.writeTo(out);
            if (tail != null) {
                byte[] chunk = new byte[tailLength];
                MemorySegment.copy(tail, ValueLayout.JAVA_BYTE, 0, chunk, 0, tailLength);
                out.write(chunk);
            }
        }
    }

    /** An incoming message, read field by field. */
    private static final class Reply {
        final byte type;
        private final byte[] body;
        private int pos = 1;

        Reply(byte[] body) {
            this.body = body;
            this.type = body[0];
        }

        int remaining() { return body.length - pos; }

        int u32() throws IOException {
            need(4);
            int v = ((body[pos] & 0xff) << 24) | ((body[pos + 1] & 0xff) << 16) | ((body[pos + 2] & 0xff) << 8) | (body[pos + 3] & 0xff);
            pos += 4;
            return v;
        }

        long u64() throws IOException {
            long hi = u32() & 0xffffffffL;
            long lo = u32() & 0xffffffffL;
            return (hi << 32) | lo;
        }

        byte[] bytes() throws IOException {
            int n = u32();
            need(n);
            byte[] b = java.util.Arrays.copyOfRange(body, pos, pos + n);
            pos += n;
            return b;
        }

        String string() throws IOException { return new String(bytes(), StandardCharsets.UTF_8); }

        /** The next {@code dst.byteSize()} bytes (a DATA string's contents, its length already read). */
        void copyTo(MemorySegment dst) throws IOException {
            int n = (int) dst.byteSize();
            need(n);
            MemorySegment.copy(body, pos, dst, ValueLayout.JAVA_BYTE, 0, n);
            pos += n;
        }

        private void need(int n) throws IOException {
            if (n < 0 || pos + n > body.length) throw new IOException("SFTP message too short");
        }
    }
}
