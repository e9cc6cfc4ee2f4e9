package dev.jnbdkit.plugins.nbd;

import dev.jnbdkit.protocol.Nbd;
import dev.jnbdkit.protocol.OptionRequests;
import dev.jnbdkit.protocol.ProtocolException;
import dev.jnbdkit.protocol.ReplyDecoder;
import dev.jnbdkit.spi.BlockSize;
import dev.jnbdkit.spi.Export;
import dev.jnbdkit.spi.Nbdkit;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The client's side of the NBD handshake, on the server's own codecs: oldstyle, or fixed
 * newstyle with STARTTLS (as {@code tls=} asks), structured replies, the base:allocation meta
 * context and NBD_OPT_GO (falling back to NBD_OPT_EXPORT_NAME for servers without it). A plain
 * newstyle server gets NBD_OPT_EXPORT_NAME straight away.
 */
final class ClientHandshake {
    /** Longest option reply believed: anything longer means the stream is out of sync. */
    private static final int MAX_OPTION_REPLY = 1 << 20;

    /** The handshake failed; the message says why, for the log and the client's error. */
    static final class HandshakeException extends IOException {
        HandshakeException(String message) { super(message); }
    }

    private Wire wire;
    private final TlsSettings tls;
    private boolean usingTls;

    private ClientHandshake(Wire wire, TlsSettings tls) {
        this.wire = wire;
        this.tls = tls;
    }

    /** Negotiates {@code export} over a freshly connected {@code wire}. */
    static Negotiated negotiate(Wire wire, TlsSettings tls, String export) throws IOException {
        return new ClientHandshake(wire, tls).run(export);
    }

    /** The server's export list (NBD_OPT_LIST), then NBD_OPT_ABORT. */
    static List<Export> list(Wire wire, TlsSettings tls) throws IOException {
        ClientHandshake h = new ClientHandshake(wire, tls);
        if (!h.greet()) throw new HandshakeException("the server is oldstyle and cannot list exports");
        h.send(Nbd.OPT_LIST, new byte[0]);
        List<Export> exports = new ArrayList<>();
        while (true) {
            Reply r = h.reply(Nbd.OPT_LIST);
            if (r.type() == Nbd.REP_ACK) break;
            if (r.isError()) throw new HandshakeException("the server refused to list exports: " + r.text());
            if (r.type() == Nbd.REP_SERVER && r.data().length >= 4) {
                ByteBuffer b = ByteBuffer.wrap(r.data());
                int n = b.getInt();
                if (n < 0 || n > b.remaining()) throw new HandshakeException("malformed NBD_REP_SERVER reply");
                String name = new String(r.data(), 4, n, StandardCharsets.UTF_8);
                String description = new String(r.data(), 4 + n, r.data().length - 4 - n, StandardCharsets.UTF_8);
                exports.add(new Export(name, description.isEmpty() ? null : description));
            }
        }
        h.send(Nbd.OPT_ABORT, new byte[0]);
        return exports;
    }

    private Negotiated run(String export) throws IOException {
        ByteBuffer hello = wire.readFully(16);
        if (hello.getLong() != Nbd.NBDMAGIC) throw new HandshakeException("the server is not an NBD server (bad magic)");
        long version = hello.getLong();
        if (version == Nbd.OLDSTYLE_MAGIC) return oldstyle();
        if (version != Nbd.IHAVEOPT) throw new HandshakeException("unknown NBD handshake 0x" + Long.toHexString(version));
        return newstyle(export);
    }

    private Negotiated oldstyle() throws IOException {
        if (tls.mode() == TlsSettings.Mode.REQUIRE) throw new HandshakeException("tls=require but the server is oldstyle (no TLS)");
        ByteBuffer b = wire.readFully(8 + 2 + 2 + 124);
        long size = b.getLong();
        b.getShort();
        int flags = Short.toUnsignedInt(b.getShort());
        return new Negotiated(wire, size, flags, false, -1, null, null, false);
    }

    /** Reads the newstyle greeting (after the magics when {@code magicsRead}) and answers it; true if fixed. */
    private boolean greet() throws IOException {
        ByteBuffer hello = wire.readFully(16);
        if (hello.getLong() != Nbd.NBDMAGIC || hello.getLong() != Nbd.IHAVEOPT) {
            throw new HandshakeException("the server is not a newstyle NBD server");
        }
        return answerGreeting() && startTls();
    }

    private int globalFlags;

    private boolean answerGreeting() throws IOException {
        globalFlags = Short.toUnsignedInt(wire.readFully(2).getShort());
        wire.write(OptionRequests.clientFlags(globalFlags & (Nbd.FLAG_C_FIXED_NEWSTYLE | Nbd.FLAG_C_NO_ZEROES)));
        return (globalFlags & Nbd.FLAG_FIXED_NEWSTYLE) != 0;
    }

    /** STARTTLS as {@code tls=} says; true to go on negotiating. */
    private boolean startTls() throws IOException {
        if (tls.mode() == TlsSettings.Mode.OFF) return true;
        send(Nbd.OPT_STARTTLS, new byte[0]);
        Reply r = reply(Nbd.OPT_STARTTLS);
        if (r.type() == Nbd.REP_ACK) {
            wire = ClientTls.handshake(wire, tls);
            usingTls = true;
            return true;
        }
        if (tls.mode() == TlsSettings.Mode.REQUIRE) {
            throw new HandshakeException("tls=require but the server refused NBD_OPT_STARTTLS" + (r.text().isEmpty() ? "" : ": " + r.text()));
        }
        Nbdkit.debug("nbd: the server does not do TLS; continuing without it (tls=on)");
        return true;
    }

    private Negotiated newstyle(String export) throws IOException {
        boolean fixed = answerGreeting();
        if (!fixed) {
            if (tls.mode() == TlsSettings.Mode.REQUIRE) throw new HandshakeException("tls=require but the server is not fixed newstyle (no TLS)");
            return exportName(export);
        }
        startTls();
        boolean structured = simpleOption(Nbd.OPT_STRUCTURED_REPLY);
        long metaId = -1;
        if (structured) {
            send(Nbd.OPT_SET_META_CONTEXT, OptionRequests.metaRequest(export, Nbd.BASE_ALLOCATION));
            while (true) {
                Reply r = reply(Nbd.OPT_SET_META_CONTEXT);
                if (r.type() == Nbd.REP_ACK || r.isError()) break;
                if (r.type() == Nbd.REP_META_CONTEXT && r.data().length >= 4) {
                    ByteBuffer b = ByteBuffer.wrap(r.data());
                    long id = Integer.toUnsignedLong(b.getInt());
                    String name = new String(r.data(), 4, r.data().length - 4, StandardCharsets.UTF_8);
                    if (name.equals(Nbd.BASE_ALLOCATION)) metaId = id;
                }
            }
        }
        send(Nbd.OPT_GO, OptionRequests.exportRequest(export, Nbd.INFO_DESCRIPTION, Nbd.INFO_BLOCK_SIZE));
        long size = -1;
        int flags = 0;
        BlockSize blockSize = null;
        String description = null;
        while (true) {
            Reply r = reply(Nbd.OPT_GO);
            if (r.type() == Nbd.REP_ACK) break;
            if (r.type() == Nbd.REP_ERR_UNSUP) {
                // A server without NBD_OPT_GO: structured replies and contexts cannot apply either.
                Negotiated n = exportName(export);
                return n;
            }
            if (r.isError()) {
                throw new HandshakeException("the server refused export '" + export + "'"
                        + (r.text().isEmpty() ? "" : ": " + r.text()));
            }
            if (r.type() != Nbd.REP_INFO || r.data().length < 2) continue;
            ByteBuffer b = ByteBuffer.wrap(r.data());
            int info = Short.toUnsignedInt(b.getShort());
            switch (info) {
                case Nbd.INFO_EXPORT -> {
                    if (b.remaining() < 10) throw new HandshakeException("malformed NBD_INFO_EXPORT");
                    size = b.getLong();
                    flags = Short.toUnsignedInt(b.getShort());
                }
                case Nbd.INFO_BLOCK_SIZE -> {
                    if (b.remaining() >= 12) {
                        blockSize = new BlockSize(Integer.toUnsignedLong(b.getInt()), Integer.toUnsignedLong(b.getInt()),
                                Integer.toUnsignedLong(b.getInt()));
                    }
                }
                case Nbd.INFO_DESCRIPTION -> description = new String(r.data(), 2, r.data().length - 2, StandardCharsets.UTF_8);
                default -> { }
            }
        }
        if (size < 0) throw new HandshakeException("the server sent no NBD_INFO_EXPORT");
        return new Negotiated(wire, size, flags, structured, structured ? metaId : -1, blockSize, description, usingTls);
    }

    private Negotiated exportName(String export) throws IOException {
        send(Nbd.OPT_EXPORT_NAME, export.getBytes(StandardCharsets.UTF_8));
        boolean noZeroes = (globalFlags & Nbd.FLAG_NO_ZEROES) != 0;
        ByteBuffer b;
        try {
            b = wire.readFully(noZeroes ? 10 : 134);
        } catch (IOException e) {
            throw new HandshakeException("the server refused export '" + export + "' (it closed the connection)");
        }
        long size = b.getLong();
        int flags = Short.toUnsignedInt(b.getShort());
        return new Negotiated(wire, size, flags, false, -1, null, null, usingTls);
    }

    /** An option without data answered by one ACK or an error: true if acknowledged. */
    private boolean simpleOption(int option) throws IOException {
        send(option, new byte[0]);
        return reply(option).type() == Nbd.REP_ACK;
    }

    private void send(int option, byte[] payload) throws IOException {
        wire.write(OptionRequests.option(option, payload));
    }

    private record Reply(int type, byte[] data) {
        boolean isError() { return (type & 0x80000000) != 0; }

        String text() { return isError() ? new String(data, StandardCharsets.UTF_8) : ""; }
    }

    private Reply reply(int option) throws IOException {
        ReplyDecoder.OptionReplyHeader h;
        try {
            h = ReplyDecoder.optionReply(wire.readFully(ReplyDecoder.OPTION_REPLY_HEADER_SIZE));
        } catch (ProtocolException e) {
            throw new HandshakeException("protocol error from the server: " + e.getMessage());
        }
        if (h.option() != option) {
            throw new HandshakeException("the server answered " + Nbd.optionName(h.option()) + " to " + Nbd.optionName(option));
        }
        if (h.length() > MAX_OPTION_REPLY) throw new HandshakeException("implausible option reply length " + h.length());
        byte[] data = new byte[(int) h.length()];
        wire.readFully(ByteBuffer.wrap(data));
        return new Reply(h.type(), data);
    }
}
