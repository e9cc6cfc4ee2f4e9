package dev.jnbdkit.plugins.ssh;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Arrays;

/**
 * An SFTP v3 server for one file, in memory, answering each request as soon as it is written:
 * {@link #toServer} takes the client's bytes, {@link #fromServer} gives the replies. Reads return
 * at most {@code maxRead} bytes (a server limit the client must cope with).
 */
final class FakeSftpServer {
    static final String NAME = "disk.img";

    byte[] file;
    final int maxRead;
    int reads, writes, fsyncs;
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
    private final ArrayDeque<Byte> replies = new ArrayDeque<>();

    FakeSftpServer(byte[] file, int maxRead) {
        this.file = file;
        this.maxRead = maxRead;
    }

    final OutputStream toServer = new OutputStream() {
        @Override public void write(int b) throws IOException { write(new byte[] {(byte) b}, 0, 1); }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            pending.write(b, off, len);
            byte[] all = pending.toByteArray();
            int pos = 0;
            while (all.length - pos >= 4) {
                int n = ByteBuffer.wrap(all, pos, 4).getInt();
                if (all.length - pos - 4 < n) break;
                answer(ByteBuffer.wrap(Arrays.copyOfRange(all, pos + 4, pos + 4 + n)));
                pos += 4 + n;
            }
            pending.reset();
            pending.write(all, pos, all.length - pos);
        }
    };

    final InputStream fromServer = new InputStream() {
        @Override public int read() { return replies.isEmpty() ? -1 : replies.poll() & 0xff; }
    };

    private void answer(ByteBuffer m) throws IOException {
        int type = m.get() & 0xff;
        if (type == 1) {   // INIT
            reply(2, out -> { out.writeInt(3); str(out, "fsync@openssh.com"); str(out, "1"); });
            return;
        }
        int id = m.getInt();
        switch (type) {
            case 3 -> {   // OPEN
                String name = new String(bytes(m), StandardCharsets.UTF_8);
                if (!name.equals(NAME)) status(id, 2, "No such file");
                else reply(102, out -> { out.writeInt(id); str(out, "h"); });
            }
            case 4 -> status(id, 0, "");
            case 5 -> {   // READ
                bytes(m);
                long off = m.getLong();
                int len = m.getInt();
                reads++;
                if (off >= file.length) {
                    status(id, 1, "End of file");
                    return;
                }
                int n = (int) Math.min(Math.min(len, maxRead), file.length - off);
                reply(103, out -> { out.writeInt(id); out.writeInt(n); out.write(file, (int) off, n); });
            }
            case 6 -> {   // WRITE
                bytes(m);
                long off = m.getLong();
                byte[] data = bytes(m);
                writes++;
                if (off + data.length > file.length) file = Arrays.copyOf(file, (int) (off + data.length));
                System.arraycopy(data, 0, file, (int) off, data.length);
                status(id, 0, "");
            }
            case 8 -> reply(105, out -> { out.writeInt(id); out.writeInt(1); out.writeLong(file.length); });
            case 10 -> {   // FSETSTAT
                bytes(m);
                m.getInt();
                file = Arrays.copyOf(file, (int) m.getLong());
                status(id, 0, "");
            }
            case 200 -> {
                fsyncs++;
                status(id, 0, "");
            }
            default -> status(id, 8, "Operation unsupported");
        }
    }

    private interface Body { void write(DataOutputStream out) throws IOException; }

    private void reply(int type, Body body) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(b);
        out.writeByte(type);
        body.write(out);
        byte[] payload = b.toByteArray();
        ByteBuffer len = ByteBuffer.allocate(4).putInt(payload.length);
        for (byte x : len.array()) replies.add(x);
        for (byte x : payload) replies.add(x);
    }

    private void status(int id, int code, String message) throws IOException {
        reply(101, out -> { out.writeInt(id); out.writeInt(code); str(out, message); str(out, ""); });
    }

    private static void str(DataOutputStream out, String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.writeInt(b.length);
        out.write(b);
    }

    private static byte[] bytes(ByteBuffer m) {
        byte[] b = new byte[m.getInt()];
        m.get(b);
        return b;
    }
}
