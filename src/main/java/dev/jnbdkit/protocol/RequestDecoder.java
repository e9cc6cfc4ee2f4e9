package dev.jnbdkit.protocol;

import java.nio.ByteBuffer;

/** Decodes transmission request headers. Pure: bytes in, a {@link Request} or an exception out. */
public final class RequestDecoder {
    private RequestDecoder() {}

    /** Header size for the negotiated header style. */
    public static int headerSize(boolean extended) {
        return extended ? Nbd.EXTENDED_REQUEST_SIZE : Nbd.REQUEST_SIZE;
    }

    /**
     * Decodes one header from {@code buf} (big-endian, exactly {@link #headerSize} bytes from its
     * position).
     *
     * @throws ProtocolException on a bad magic: the stream is out of sync and the connection must end
     */
    public static Request decode(ByteBuffer buf, boolean extended) {
        int magic = buf.getInt();
        int expected = extended ? Nbd.EXTENDED_REQUEST_MAGIC : Nbd.REQUEST_MAGIC;
        if (magic != expected) {
            throw new ProtocolException(String.format("invalid request: bad magic 0x%08x", magic));
        }
        int flags = Short.toUnsignedInt(buf.getShort());
        int type = Short.toUnsignedInt(buf.getShort());
        long cookie = buf.getLong();
        long offset = buf.getLong();
        long length = extended ? buf.getLong() : Integer.toUnsignedLong(buf.getInt());
        return new Request(flags, type, cookie, offset, length);
    }

    /** Encodes a header (the client's side; used by tests and tools). */
    public static void encode(ByteBuffer buf, Request r, boolean extended) {
        buf.putInt(extended ? Nbd.EXTENDED_REQUEST_MAGIC : Nbd.REQUEST_MAGIC);
        buf.putShort((short) r.flags());
        buf.putShort((short) r.type());
        buf.putLong(r.cookie());
        buf.putLong(r.offset());
        if (extended) buf.putLong(r.length()); else buf.putInt((int) r.length());
    }
}
