package dev.jnbdkit.protocol;

import java.nio.ByteBuffer;

/**
 * Decodes what the server sends, from the client's side: option reply headers and transmission
 * reply headers in all three styles (simple, structured, extended). Pure: bytes in, a header or a
 * {@link ProtocolException} out; payloads are left to the caller.
 */
public final class ReplyDecoder {
    private ReplyDecoder() {}

    /** An option reply header; {@code length} bytes of payload follow it. */
    public record OptionReplyHeader(int option, int type, long length) {
        public boolean isError() { return (type & 0x80000000) != 0; }
    }

    public static final int OPTION_REPLY_HEADER_SIZE = 20;

    /** Decodes the 20-byte option reply header. */
    public static OptionReplyHeader optionReply(ByteBuffer buf) {
        long magic = buf.getLong();
        if (magic != Nbd.OPTION_REPLY_MAGIC) {
            throw new ProtocolException("bad option reply magic 0x" + Long.toHexString(magic));
        }
        int option = buf.getInt();
        int type = buf.getInt();
        return new OptionReplyHeader(option, type, Integer.toUnsignedLong(buf.getInt()));
    }

    /**
     * A transmission reply header. A simple reply has {@code error} set and no chunk fields
     * (flags, type, offset and length are 0); a chunk header has {@code length} bytes of payload
     * after it, and {@code offset} only with extended headers.
     */
    public record ReplyHeader(int magic, int error, int flags, int type, long cookie, long offset, long length) {
        public boolean simple() { return magic == Nbd.SIMPLE_REPLY_MAGIC; }

        /** The last reply for its cookie: a simple reply, or a chunk with REPLY_FLAG_DONE. */
        public boolean done() { return simple() || (flags & Nbd.REPLY_FLAG_DONE) != 0; }

        /** An error chunk (its payload starts with the error code). */
        public boolean errorChunk() { return !simple() && (type & 0x8000) != 0; }
    }

    /** Size of the whole header (magic included) that starts with {@code magic}. */
    public static int headerSize(int magic) {
        return switch (magic) {
            case Nbd.SIMPLE_REPLY_MAGIC -> Nbd.SIMPLE_REPLY_SIZE;
            case Nbd.STRUCTURED_REPLY_MAGIC -> Nbd.STRUCTURED_REPLY_SIZE;
            case Nbd.EXTENDED_REPLY_MAGIC -> Nbd.EXTENDED_REPLY_SIZE;
            default -> throw new ProtocolException(String.format("bad reply magic 0x%08x", magic));
        };
    }

    /** Decodes one reply header (magic included, {@link #headerSize} bytes). */
    public static ReplyHeader reply(ByteBuffer buf) {
        int magic = buf.getInt();
        headerSize(magic); // rejects an unknown magic
        if (magic == Nbd.SIMPLE_REPLY_MAGIC) {
            int error = buf.getInt();
            return new ReplyHeader(magic, error, 0, 0, buf.getLong(), 0, 0);
        }
        int flags = Short.toUnsignedInt(buf.getShort());
        int type = Short.toUnsignedInt(buf.getShort());
        long cookie = buf.getLong();
        if (magic == Nbd.EXTENDED_REPLY_MAGIC) {
            long offset = buf.getLong();
            return new ReplyHeader(magic, 0, flags, type, cookie, offset, buf.getLong());
        }
        return new ReplyHeader(magic, 0, flags, type, cookie, 0, Integer.toUnsignedLong(buf.getInt()));
    }
}
