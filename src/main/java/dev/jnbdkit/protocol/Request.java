package dev.jnbdkit.protocol;

/**
 * One transmission-phase request header, compact or extended, as decoded. {@code length} is
 * unsigned 64-bit in extended headers; it is kept as a long and compared with
 * {@link Long#compareUnsigned} where it matters.
 */
public record Request(int flags, int type, long cookie, long offset, long length) {
    public boolean has(int flag) { return (flags & flag) != 0; }

    @Override
    public String toString() {
        return Nbd.commandName(type) + " cookie=" + Long.toUnsignedString(cookie) + " offset="
                + Long.toUnsignedString(offset) + " length=" + Long.toUnsignedString(length)
                + " flags=0x" + Integer.toHexString(flags);
    }
}
