package dev.jnbdkit.protocol;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Parses option payloads. Every length is checked against what remains before anything is
 * allocated; a malformed payload throws {@link InvalidOptionException}, which the handshake turns
 * into NBD_REP_ERR_INVALID while keeping the connection.
 */
public final class OptionPayload {
    private OptionPayload() {}

    /** INFO and GO: export name, then a list of requested info types. */
    public record ExportRequest(String name, List<Integer> infos) {}

    /** LIST_META_CONTEXT and SET_META_CONTEXT: export name, then queries. */
    public record MetaRequest(String name, List<String> queries) {}

    public static ExportRequest exportRequest(ByteBuffer p) {
        try {
            String name = string32(p);
            int n = Short.toUnsignedInt(p.getShort());
            if (p.remaining() != 2 * n) throw new InvalidOptionException("information request count does not match length");
            List<Integer> infos = new ArrayList<>(n);
            for (int i = 0; i < n; i++) infos.add(Short.toUnsignedInt(p.getShort()));
            return new ExportRequest(name, infos);
        } catch (BufferUnderflowException e) {
            throw new InvalidOptionException("option payload too short");
        }
    }

    public static MetaRequest metaRequest(ByteBuffer p) {
        try {
            String name = string32(p);
            long n = Integer.toUnsignedLong(p.getInt());
            // Each query takes at least 4 bytes: reject impossible counts before allocating.
            if (n * 4 > p.remaining()) throw new InvalidOptionException("too many queries for the option length");
            List<String> queries = new ArrayList<>((int) n);
            for (long i = 0; i < n; i++) queries.add(string32(p));
            if (p.hasRemaining()) throw new InvalidOptionException("trailing bytes after the queries");
            return new MetaRequest(name, queries);
        } catch (BufferUnderflowException e) {
            throw new InvalidOptionException("option payload too short");
        }
    }

    /** A whole payload as an export name (NBD_OPT_EXPORT_NAME). */
    public static String wholeString(ByteBuffer p) {
        if (p.remaining() > Nbd.MAX_STRING) throw new InvalidOptionException("export name too long");
        return utf8(p, p.remaining());
    }

    private static String string32(ByteBuffer p) {
        long len = Integer.toUnsignedLong(p.getInt());
        if (len > Nbd.MAX_STRING) throw new InvalidOptionException("string too long (" + len + " bytes)");
        if (len > p.remaining()) throw new InvalidOptionException("string length exceeds option length");
        return utf8(p, (int) len);
    }

    private static String utf8(ByteBuffer p, int len) {
        ByteBuffer slice = p.slice(p.position(), len);
        p.position(p.position() + len);
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(slice).toString();
        } catch (CharacterCodingException e) {
            throw new InvalidOptionException("string is not valid UTF-8");
        }
    }

    /** The option payload does not follow the specification. */
    public static final class InvalidOptionException extends RuntimeException {
        public InvalidOptionException(String message) { super(message); }
    }
}
