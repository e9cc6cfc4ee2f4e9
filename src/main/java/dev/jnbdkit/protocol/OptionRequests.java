package dev.jnbdkit.protocol;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Encodes the client's side of the handshake: client flags, option requests and their payloads
 * (the inverse of {@link OptionPayload}). The server never sends these; test clients and tools do.
 */
public final class OptionRequests {
    private OptionRequests() {}

    /** The 32-bit client flags that answer the newstyle greeting. */
    public static ByteBuffer clientFlags(int flags) {
        return ByteBuffer.allocate(4).putInt(flags).flip();
    }

    /** An option request: IHAVEOPT, option, payload length, payload. */
    public static ByteBuffer option(int option, byte[] payload) {
        return ByteBuffer.allocate(16 + payload.length)
                .putLong(Nbd.IHAVEOPT).putInt(option).putInt(payload.length).put(payload).flip();
    }

    /** The payload of NBD_OPT_INFO and NBD_OPT_GO: export name, then the requested info types. */
    public static byte[] exportRequest(String name, int... infos) {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(4 + n.length + 2 + 2 * infos.length);
        b.putInt(n.length).put(n).putShort((short) infos.length);
        for (int i : infos) b.putShort((short) i);
        return b.array();
    }

    /** The payload of NBD_OPT_LIST_META_CONTEXT and NBD_OPT_SET_META_CONTEXT. */
    public static byte[] metaRequest(String name, String... queries) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        string32(o, name);
        o.writeBytes(ByteBuffer.allocate(4).putInt(queries.length).array());
        for (String q : queries) string32(o, q);
        return o.toByteArray();
    }

    private static void string32(ByteArrayOutputStream o, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        o.writeBytes(ByteBuffer.allocate(4).putInt(b.length).array());
        o.writeBytes(b);
    }
}
