package dev.jnbdkit.protocol;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Encodes transmission replies into caller-supplied buffers (big-endian). Which header style to
 * use is fixed per connection: simple replies, structured replies, or extended headers (which
 * imply structured replies and replace every simple reply with a NONE chunk).
 */
public final class ReplyEncoder {
    private final boolean structured;
    private final boolean extended;

    public ReplyEncoder(boolean structured, boolean extended) {
        this.structured = structured || extended;
        this.extended = extended;
    }

    public boolean structured() { return structured; }

    public boolean extended() { return extended; }

    /** Bytes of a chunk header in this style. */
    public int chunkHeaderSize() { return extended ? Nbd.EXTENDED_REPLY_SIZE : Nbd.STRUCTURED_REPLY_SIZE; }

    /** Room needed for the header of a reply carrying no data (success or error). */
    public int maxStatusReplySize(int messageLength) {
        return Math.max(Nbd.SIMPLE_REPLY_SIZE, chunkHeaderSize() + 6 + messageLength);
    }

    /** A success reply without data: a simple reply, or a NONE chunk with extended headers. */
    public void ok(ByteBuffer buf, Request r) {
        if (extended) {
            chunkHeader(buf, Nbd.REPLY_FLAG_DONE, Nbd.REPLY_TYPE_NONE, r.cookie(), r.offset(), 0);
        } else {
            simple(buf, r.cookie(), 0);
        }
    }

    /**
     * An error reply: a simple reply, or with structured replies an ERROR chunk carrying the
     * message (which clients show to users).
     */
    public void error(ByteBuffer buf, Request r, int nbdError, String message) {
        if (!structured) {
            simple(buf, r.cookie(), nbdError);
            return;
        }
        byte[] msg = message == null ? new byte[0] : truncate(message.getBytes(StandardCharsets.UTF_8));
        chunkHeader(buf, Nbd.REPLY_FLAG_DONE, Nbd.REPLY_TYPE_ERROR, r.cookie(), r.offset(), 6 + msg.length);
        buf.putInt(nbdError);
        buf.putShort((short) msg.length);
        buf.put(msg);
    }

    /**
     * The header preceding read data: a simple reply header, or one OFFSET_DATA chunk (with DONE)
     * whose payload is the 8-byte offset (written here) followed by {@code dataLength} bytes of
     * data that the caller sends next.
     */
    public void readData(ByteBuffer buf, Request r, long dataLength) {
        if (!structured) {
            simple(buf, r.cookie(), 0);
            return;
        }
        chunkHeader(buf, Nbd.REPLY_FLAG_DONE, Nbd.REPLY_TYPE_OFFSET_DATA, r.cookie(), r.offset(), 8 + dataLength);
        buf.putLong(r.offset());
    }

    /** Bytes a block-status chunk needs for {@code count} descriptors. */
    public int blockStatusSize(int count) {
        return chunkHeaderSize() + (extended ? 8 + 16 * count : 4 + 8 * count);
    }

    /**
     * One BLOCK_STATUS (or BLOCK_STATUS_EXT) chunk with DONE. In the compact form each length
     * must fit in 32 bits; the caller guarantees it.
     */
    public void blockStatus(ByteBuffer buf, Request r, int contextId, long[] lengths, int[] flags, int count) {
        if (extended) {
            chunkHeader(buf, Nbd.REPLY_FLAG_DONE, Nbd.REPLY_TYPE_BLOCK_STATUS_EXT, r.cookie(), r.offset(), 8 + 16L * count);
            buf.putInt(contextId);
            buf.putInt(count);
            for (int i = 0; i < count; i++) {
                buf.putLong(lengths[i]);
                buf.putLong(Integer.toUnsignedLong(flags[i]));
            }
        } else {
            chunkHeader(buf, Nbd.REPLY_FLAG_DONE, Nbd.REPLY_TYPE_BLOCK_STATUS, r.cookie(), r.offset(), 4 + 8L * count);
            buf.putInt(contextId);
            for (int i = 0; i < count; i++) {
                buf.putInt((int) lengths[i]);
                buf.putInt(flags[i]);
            }
        }
    }

    public static void simple(ByteBuffer buf, long cookie, int error) {
        buf.putInt(Nbd.SIMPLE_REPLY_MAGIC);
        buf.putInt(error);
        buf.putLong(cookie);
    }

    private void chunkHeader(ByteBuffer buf, int flags, int type, long cookie, long offset, long payloadLength) {
        if (extended) {
            buf.putInt(Nbd.EXTENDED_REPLY_MAGIC);
            buf.putShort((short) flags);
            buf.putShort((short) type);
            buf.putLong(cookie);
            buf.putLong(offset);
            buf.putLong(payloadLength);
        } else {
            buf.putInt(Nbd.STRUCTURED_REPLY_MAGIC);
            buf.putShort((short) flags);
            buf.putShort((short) type);
            buf.putLong(cookie);
            buf.putInt((int) payloadLength);
        }
    }

    private static byte[] truncate(byte[] msg) {
        // Clients print the message; keep it to a screenful.
        if (msg.length <= 1024) return msg;
        int n = 1024;
        while (n > 0 && (msg[n] & 0xC0) == 0x80) n--; // never split a UTF-8 character
        return java.util.Arrays.copyOf(msg, n);
    }
}
