package dev.jnbdkit.protocol;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/** Encodes handshake-phase messages: greetings, option replies and their payloads. */
public final class OptionReplies {
    private OptionReplies() {}

    /** Newstyle greeting: NBDMAGIC, IHAVEOPT, 16-bit global flags. */
    public static ByteBuffer newstyleGreeting(int globalFlags) {
        ByteBuffer b = ByteBuffer.allocate(18);
        b.putLong(Nbd.NBDMAGIC).putLong(Nbd.IHAVEOPT).putShort((short) globalFlags);
        return b.flip();
    }

    /** Oldstyle greeting with the export's size and flags, then 124 bytes of zeros. */
    public static ByteBuffer oldstyleGreeting(long size, int globalFlags, int transmissionFlags) {
        ByteBuffer b = ByteBuffer.allocate(152);
        b.putLong(Nbd.NBDMAGIC).putLong(Nbd.OLDSTYLE_MAGIC).putLong(size)
                .putShort((short) globalFlags).putShort((short) transmissionFlags);
        b.position(152);
        return b.flip();
    }

    /** The answer to NBD_OPT_EXPORT_NAME: size, flags, and 124 zeros unless NO_ZEROES. */
    public static ByteBuffer exportNameReply(long size, int transmissionFlags, boolean noZeroes) {
        ByteBuffer b = ByteBuffer.allocate(noZeroes ? 10 : 134);
        b.putLong(size).putShort((short) transmissionFlags);
        b.position(b.capacity());
        return b.flip();
    }

    public static ByteBuffer reply(int option, int type, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(20 + payload.length);
        b.putLong(Nbd.OPTION_REPLY_MAGIC).putInt(option).putInt(type).putInt(payload.length).put(payload);
        return b.flip();
    }

    public static ByteBuffer ack(int option) { return reply(option, Nbd.REP_ACK, new byte[0]); }

    /** An error reply with a human-readable message (clients may show it). */
    public static ByteBuffer error(int option, int type, String message) {
        return reply(option, type, message == null ? new byte[0] : message.getBytes(StandardCharsets.UTF_8));
    }

    /** NBD_REP_SERVER for NBD_OPT_LIST: name length, name, description. */
    public static ByteBuffer server(int option, String name, String description) {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        byte[] d = description == null ? new byte[0] : description.getBytes(StandardCharsets.UTF_8);
        ByteBuffer p = ByteBuffer.allocate(4 + n.length + d.length);
        p.putInt(n.length).put(n).put(d);
        return reply(option, Nbd.REP_SERVER, p.array());
    }

    public static ByteBuffer infoExport(int option, long size, int transmissionFlags) {
        ByteBuffer p = ByteBuffer.allocate(12);
        p.putShort((short) Nbd.INFO_EXPORT).putLong(size).putShort((short) transmissionFlags);
        return reply(option, Nbd.REP_INFO, p.array());
    }

    /** NBD_INFO_NAME or NBD_INFO_DESCRIPTION. */
    public static ByteBuffer infoString(int option, int infoType, String text) {
        byte[] s = text.getBytes(StandardCharsets.UTF_8);
        ByteBuffer p = ByteBuffer.allocate(2 + s.length);
        p.putShort((short) infoType).put(s);
        return reply(option, Nbd.REP_INFO, p.array());
    }

    public static ByteBuffer infoBlockSize(int option, int minimum, int preferred, int maximum) {
        ByteBuffer p = ByteBuffer.allocate(14);
        p.putShort((short) Nbd.INFO_BLOCK_SIZE).putInt(minimum).putInt(preferred).putInt(maximum);
        return reply(option, Nbd.REP_INFO, p.array());
    }

    public static ByteBuffer metaContext(int option, int id, String name) {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        ByteBuffer p = ByteBuffer.allocate(4 + n.length);
        p.putInt(id).put(n);
        return reply(option, Nbd.REP_META_CONTEXT, p.array());
    }
}
