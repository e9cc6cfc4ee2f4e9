package dev.jnbdkit.server;

import dev.jnbdkit.backend.Context;
import dev.jnbdkit.backend.Stack;
import dev.jnbdkit.log.Log;
import dev.jnbdkit.protocol.Nbd;
import dev.jnbdkit.protocol.OptionPayload;
import dev.jnbdkit.protocol.OptionReplies;
import dev.jnbdkit.protocol.ProtocolException;
import dev.jnbdkit.spi.BlockSize;
import dev.jnbdkit.spi.Export;
import dev.jnbdkit.spi.PluginException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * The newstyle negotiation of one connection: greeting, then options until the client picks an
 * export (EXPORT_NAME or GO) or leaves. No plugin callback but list_exports / default_export runs
 * before the client asks for an export.
 */
final class Handshake {
    /** Options one client may send before it must choose an export. */
    private static final int MAX_OPTIONS = 1024;
    /** Larger option payloads are skipped and refused without being stored. */
    private static final int MAX_STORED_OPTION = 1 << 20;

    /** What negotiation settled: the open export and the reply style. */
    record Result(Context session, boolean structured, boolean extended, boolean metaBaseAllocation) {}

    /** The client's stream: the plaintext socket, then the TLS session after STARTTLS. */
    private Transport t;
    private final Stack stack;
    private final RequestLock requestLock;
    private final ServerSettings settings;
    private final ConnectionState state;

    private boolean fixedNewstyle;
    private boolean noZeroes;
    private boolean structured;
    private boolean extended;
    private ByteBuffer skipScratch;
    /** Export name the meta context was set for, or null if none is set. */
    private String metaExport;

    Handshake(Transport t, Stack stack, RequestLock requestLock, ServerSettings settings, ConnectionState state) {
        this.t = t;
        this.stack = stack;
        this.requestLock = requestLock;
        this.settings = settings;
        this.state = state;
    }

    /** The transport negotiation ended on: TLS-wrapped if the client did STARTTLS. */
    Transport transport() { return t; }

    /** Runs the negotiation; null if the client ended it without choosing an export. */
    Result negotiate() throws IOException {
        int global = (Nbd.FLAG_FIXED_NEWSTYLE | Nbd.FLAG_NO_ZEROES) & settings.handshakeMask();
        t.writeFully(OptionReplies.newstyleGreeting(global));

        ByteBuffer cflags = ByteBuffer.allocate(4);
        if (!t.readFully(cflags)) return null;
        int clientFlags = cflags.flip().getInt();
        if ((clientFlags & ~global) != 0) {
            throw new ProtocolException(String.format("handshake: client sent unknown or unadvertised flags 0x%x", clientFlags));
        }
        fixedNewstyle = (clientFlags & Nbd.FLAG_C_FIXED_NEWSTYLE) != 0;
        noZeroes = (clientFlags & Nbd.FLAG_C_NO_ZEROES) != 0;

        ByteBuffer header = ByteBuffer.allocate(16);
        for (int count = 0; ; count++) {
            if (count >= MAX_OPTIONS) throw new ProtocolException("handshake: too many options");
            header.clear();
            if (!t.readFully(header)) return null;
            header.flip();
            long magic = header.getLong();
            int option = header.getInt();
            long length = Integer.toUnsignedLong(header.getInt());
            if (magic != Nbd.IHAVEOPT) throw new ProtocolException("handshake: bad option magic");
            Log.debug("newstyle negotiation: " + Nbd.optionName(option) + " length " + length);

            if (length > MAX_STORED_OPTION) {
                if (skipScratch == null) skipScratch = ByteBuffer.allocate(PAYLOAD_STEP);
                if (length > Nbd.MAX_OPTION_LENGTH || !t.skip(length, skipScratch)) {
                    throw new ProtocolException("handshake: option payload too long (" + length + " bytes)");
                }
                if (option == Nbd.OPT_EXPORT_NAME) throw new ProtocolException("handshake: export name too long");
                if (tlsRequiredFirst(option)) continue;
                reply(OptionReplies.error(option, Nbd.REP_ERR_TOO_BIG, "option payload too long"));
                continue;
            }
            ByteBuffer payload = readPayload((int) length);
            if (payload == null) return null;

            Result r = option(option, payload);
            if (r != null) return r == ABORTED ? null : r;
        }
    }

    /** Payloads are read in steps so memory follows the bytes that really arrive, not the header's claim. */
    private static final int PAYLOAD_STEP = 64 * 1024;

    /** Reads a whole option payload, flipped; null if the stream ended first. */
    private ByteBuffer readPayload(int length) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(Math.min(length, PAYLOAD_STEP));
        while (true) {
            if (!t.readFully(b)) return null;
            if (b.capacity() == length) return b.flip();
            ByteBuffer bigger = ByteBuffer.allocate((int) Math.min(length, 2L * b.capacity()));
            bigger.put(b.flip());
            b = bigger;
        }
    }

    private static final Result ABORTED = new Result(null, false, false, false);

    /**
     * Under --tls=require, before TLS is up, every option but STARTTLS and ABORT is refused with
     * NBD_REP_ERR_TLS_REQD and no plugin callback runs; EXPORT_NAME, which cannot be refused,
     * ends the connection. True if the option was refused.
     */
    private boolean tlsRequiredFirst(int option) throws IOException {
        if (!settings.tlsRequired() || state.isTls() || option == Nbd.OPT_STARTTLS || option == Nbd.OPT_ABORT) {
            return false;
        }
        if (option == Nbd.OPT_EXPORT_NAME) {
            throw new ProtocolException("NBD_OPT_EXPORT_NAME: TLS is required (--tls=require) but the client did not use STARTTLS");
        }
        error(option, Nbd.REP_ERR_TLS_REQD, Nbd.optionName(option) + ": TLS is required before this option");
        return true;
    }

    /**
     * NBD_OPT_STARTTLS: ACK, then the TLS handshake on the same stream. Nothing the client sent
     * after the option in plaintext is ever read as NBD (transports do not read ahead: such bytes
     * reach the TLS layer, which rejects them). What plaintext negotiation settled is forgotten
     * (CVE-2021-3716): structured replies, extended headers and meta contexts must be asked
     * for again under TLS.
     */
    private Result startTls(int option, ByteBuffer payload) throws IOException {
        if (!fixedNewstyle) throw new ProtocolException("NBD_OPT_STARTTLS from a non-fixed-newstyle client");
        if (payload.hasRemaining()) return invalid(option, "NBD_OPT_STARTTLS: option length must be 0");
        if (settings.tls() == null) return error(option, Nbd.REP_ERR_UNSUP, "TLS is not enabled on this server");
        if (state.isTls()) return invalid(option, "NBD_OPT_STARTTLS: TLS is already active");
        reply(OptionReplies.ack(option));
        Transport plain = t;
        try {
            t = settings.tls().startTls(plain);
        } catch (IOException e) {
            Log.error("TLS handshake failed: " + e.getMessage());
            return ABORTED;
        }
        state.setTls(t);
        structured = false;
        extended = false;
        metaExport = null;
        Log.debug("using TLS on this connection");
        return null;
    }

    /** Handles one option; a non-null result ends negotiation. */
    private Result option(int option, ByteBuffer payload) throws IOException {
        if (tlsRequiredFirst(option)) return null;
        switch (option) {
            case Nbd.OPT_EXPORT_NAME -> {
                String requested;
                try {
                    requested = OptionPayload.wholeString(payload);
                } catch (OptionPayload.InvalidOptionException e) {
                    throw new ProtocolException("NBD_OPT_EXPORT_NAME: " + e.getMessage());
                }
                // No way to report an error here: failure ends the connection.
                String name = resolve(requested);
                if (name == null) throw new ProtocolException("NBD_OPT_EXPORT_NAME: no default export");
                Context s = open(name);
                int flags = TransmissionFlags.of(s, structured);
                t.writeFully(OptionReplies.exportNameReply(s.getSize(), flags, noZeroes));
                return new Result(s, structured, extended, metaExport != null && metaExport.equals(requested));
            }
            case Nbd.OPT_ABORT -> {
                if (fixedNewstyle) replyQuietly(OptionReplies.ack(option));
                return ABORTED;
            }
            case Nbd.OPT_LIST -> {
                if (payload.hasRemaining()) return invalid(option, "NBD_OPT_LIST: option length must be 0");
                List<Export> exports;
                requestLock.lock();
                try {
                    exports = stack.listExports(state.isTls());
                } catch (PluginException e) {
                    return error(option, Nbd.REP_ERR_PLATFORM, e.getMessage());
                } finally {
                    requestLock.unlock();
                }
                for (Export e : exports) reply(OptionReplies.server(option, e.name(), e.description()));
                reply(OptionReplies.ack(option));
                return null;
            }
            case Nbd.OPT_STARTTLS -> {
                return startTls(option, payload);
            }
            case Nbd.OPT_INFO, Nbd.OPT_GO -> {
                return infoOrGo(option, payload);
            }
            case Nbd.OPT_STRUCTURED_REPLY -> {
                if (payload.hasRemaining()) return invalid(option, "NBD_OPT_STRUCTURED_REPLY: option length must be 0");
                if (settings.noSr()) return error(option, Nbd.REP_ERR_UNSUP, "structured replies are disabled (--no-sr)");
                structured = true;
                reply(OptionReplies.ack(option));
                return null;
            }
            case Nbd.OPT_EXTENDED_HEADERS -> {
                if (payload.hasRemaining()) return invalid(option, "NBD_OPT_EXTENDED_HEADERS: option length must be 0");
                if (settings.noSr()) return error(option, Nbd.REP_ERR_UNSUP, "extended headers are disabled (--no-sr)");
                extended = true;
                structured = true;
                reply(OptionReplies.ack(option));
                return null;
            }
            case Nbd.OPT_LIST_META_CONTEXT, Nbd.OPT_SET_META_CONTEXT -> {
                return metaContext(option, payload);
            }
            default -> {
                if (!fixedNewstyle) throw new ProtocolException("unknown option " + option + " from a non-fixed-newstyle client");
                return error(option, Nbd.REP_ERR_UNSUP, "option " + option + " is not supported");
            }
        }
    }

    private Result infoOrGo(int option, ByteBuffer payload) throws IOException {
        OptionPayload.ExportRequest req;
        try {
            req = OptionPayload.exportRequest(payload);
        } catch (OptionPayload.InvalidOptionException e) {
            return invalid(option, Nbd.optionName(option) + ": " + e.getMessage());
        }
        String name;
        try {
            name = resolve(req.name());
        } catch (PluginException e) {
            return error(option, Nbd.REP_ERR_UNKNOWN, e.getMessage());
        }
        if (name == null) return error(option, Nbd.REP_ERR_UNKNOWN, "no default export");
        Context s;
        try {
            s = open(name);
        } catch (PluginException e) {
            return error(option, Nbd.REP_ERR_UNKNOWN, "export '" + name + "': " + e.getMessage());
        }
        boolean keep = false;
        try {
            reply(OptionReplies.infoExport(option, s.getSize(), TransmissionFlags.of(s, structured)));
            if (req.infos().contains(Nbd.INFO_NAME)) reply(OptionReplies.infoString(option, Nbd.INFO_NAME, name));
            if (req.infos().contains(Nbd.INFO_DESCRIPTION) && s.exportDescription() != null) {
                reply(OptionReplies.infoString(option, Nbd.INFO_DESCRIPTION, s.exportDescription()));
            }
            BlockSize b = s.blockSize();
            if (b != null) {
                reply(OptionReplies.infoBlockSize(option, (int) b.minimum(), (int) b.preferred(), (int) b.maximum()));
            }
            reply(OptionReplies.ack(option));
            if (option == Nbd.OPT_INFO) return null;
            keep = true;
            // Compare the names as the client sent them: "" in SET and GO is the same export even
            // when default_export resolves it to a canonical name.
            boolean meta = metaExport != null && metaExport.equals(req.name());
            return new Result(s, structured, extended, meta);
        } finally {
            if (!keep) close(s);
        }
    }

    private Result metaContext(int option, ByteBuffer payload) throws IOException {
        if (settings.noMetaContexts()) {
            return error(option, Nbd.REP_ERR_UNSUP, Nbd.optionName(option) + ": meta contexts are disabled (--no-mc)");
        }
        if (!structured) {
            return invalid(option, Nbd.optionName(option) + ": structured replies have not been negotiated");
        }
        OptionPayload.MetaRequest req;
        try {
            req = OptionPayload.metaRequest(payload);
        } catch (OptionPayload.InvalidOptionException e) {
            return invalid(option, Nbd.optionName(option) + ": " + e.getMessage());
        }
        boolean list = option == Nbd.OPT_LIST_META_CONTEXT;
        boolean match = list && req.queries().isEmpty();
        for (String q : req.queries()) {
            if (q.equals(Nbd.BASE_ALLOCATION) || (list && q.equals("base:"))) match = true;
        }
        if (!list) metaExport = match ? req.name() : null;
        if (match) reply(OptionReplies.metaContext(option, list ? 0 : Nbd.BASE_ALLOCATION_ID, Nbd.BASE_ALLOCATION));
        reply(OptionReplies.ack(option));
        return null;
    }

    private String resolve(String requested) {
        requestLock.lock();
        try {
            return stack.resolveExportName(requested, state.isTls());
        } finally {
            requestLock.unlock();
        }
    }

    /**
     * Opens and prepares the stack for {@code name} and asks every answer the handshake needs
     * (size, flags, description, block size), so that a layer failing any of them fails the
     * option, not a later request.
     */
    private Context open(String name) {
        state.setExportName(name);
        requestLock.lock();
        try {
            Context c = stack.open(name, state.isTls());
            try {
                c.getSize();
                TransmissionFlags.of(c, structured);
                c.canExtents(); // as nbdkit: known before any block status
                c.blockSize();   // (export_description only when the client asks for it, as nbdkit)
            } catch (RuntimeException e) {
                stack.close(c);
                throw e;
            }
            return c;
        } finally {
            requestLock.unlock();
        }
    }

    private void close(Context c) {
        requestLock.lock();
        try {
            stack.close(c);
        } finally {
            requestLock.unlock();
        }
    }

    private Result invalid(int option, String message) throws IOException {
        return error(option, Nbd.REP_ERR_INVALID, message);
    }

    private Result error(int option, int type, String message) throws IOException {
        Log.debug(message);
        reply(OptionReplies.error(option, type, message));
        return null;
    }

    private void reply(ByteBuffer b) throws IOException { t.writeFully(b); }

    private void replyQuietly(ByteBuffer b) {
        try {
            t.writeFully(b);
        } catch (IOException ignored) {
            // the client is leaving anyway
        }
    }
}
