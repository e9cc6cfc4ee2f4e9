package dev.jnbdkit.plugins.nbd;

import dev.jnbdkit.protocol.Nbd;
import dev.jnbdkit.spi.BlockSize;
import dev.jnbdkit.spi.CacheMode;
import dev.jnbdkit.spi.ExtentSink;
import dev.jnbdkit.spi.Flags;
import dev.jnbdkit.spi.FuaMode;
import dev.jnbdkit.spi.Handle;
import dev.jnbdkit.spi.IoBuffer;

/**
 * One client's view of the remote export: every capability is what the remote server advertised
 * (its transmission flags, its base:allocation context, its block sizes and description), and
 * every request is passed on with its flags. With {@code shared=true} all handles use one
 * connection, which they do not close.
 */
final class NbdHandle implements Handle {
    /** Largest block-status request passed on: the compact header's 32-bit length, kept aligned. */
    private static final long MAX_STATUS_LENGTH = 0x8000_0000L;

    private final RemoteConnection c;
    private final Negotiated n;
    private final boolean owned;

    NbdHandle(RemoteConnection c, boolean owned) {
        this.c = c;
        this.n = c.negotiated();
        this.owned = owned;
    }

    @Override public void close() { if (owned) c.close(); }

    @Override public String exportDescription() { return n.description(); }

    @Override public long getSize() { return n.size(); }

    @Override
    public BlockSize blockSize() {
        BlockSize b = n.blockSize();
        if (b == null) return null;
        // Passed on only when sane: a broken remote must not make our handshake fail.
        boolean pow2 = Long.bitCount(b.minimum()) == 1 && Long.bitCount(b.preferred()) == 1;
        boolean ok = pow2 && b.minimum() <= 65536 && b.preferred() >= Math.max(512, b.minimum())
                && b.preferred() <= 32 << 20 && b.maximum() >= b.minimum()
                && (b.maximum() == 0xFFFF_FFFFL || b.maximum() % b.minimum() == 0);
        return ok ? b : null;
    }

    @Override public boolean isRotational() { return n.has(Nbd.FLAG_ROTATIONAL); }

    @Override public boolean canMultiConn() { return n.has(Nbd.FLAG_CAN_MULTI_CONN); }

    @Override public boolean canWrite() { return !n.has(Nbd.FLAG_READ_ONLY); }

    @Override public boolean canFlush() { return n.has(Nbd.FLAG_SEND_FLUSH); }

    @Override public FuaMode canFua() { return n.has(Nbd.FLAG_SEND_FUA) ? FuaMode.NATIVE : FuaMode.NONE; }

    @Override public boolean canTrim() { return n.has(Nbd.FLAG_SEND_TRIM); }

    @Override public boolean canZero() { return n.has(Nbd.FLAG_SEND_WRITE_ZEROES); }

    @Override public boolean canFastZero() { return n.has(Nbd.FLAG_SEND_FAST_ZERO); }

    @Override public boolean canExtents() { return n.baseAllocationId() >= 0; }

    @Override public CacheMode canCache() { return n.has(Nbd.FLAG_SEND_CACHE) ? CacheMode.NATIVE : CacheMode.NONE; }

    @Override public void pread(IoBuffer buf, long offset, int flags) { c.read(buf.segment(), offset); }

    @Override
    public void pwrite(IoBuffer buf, long offset, int flags) {
        c.write(buf.segment(), offset, fua(flags));
    }

    @Override public void flush(int flags) { c.command(Nbd.CMD_FLUSH, 0, 0, 0); }

    @Override public void trim(long count, long offset, int flags) { c.command(Nbd.CMD_TRIM, fua(flags), offset, count); }

    @Override
    public void zero(long count, long offset, int flags) {
        int f = fua(flags);
        if (!Flags.has(flags, Flags.MAY_TRIM)) f |= Nbd.CMD_FLAG_NO_HOLE;
        if (Flags.has(flags, Flags.FAST_ZERO)) f |= Nbd.CMD_FLAG_FAST_ZERO;
        c.command(Nbd.CMD_WRITE_ZEROES, f, offset, count);
    }

    @Override
    public void extents(long count, long offset, int flags, ExtentSink sink) {
        int f = Flags.has(flags, Flags.REQ_ONE) ? Nbd.CMD_FLAG_REQ_ONE : 0;
        c.blockStatus(f, offset, Math.min(count, MAX_STATUS_LENGTH), sink);
    }

    @Override public void cache(long count, long offset, int flags) { c.command(Nbd.CMD_CACHE, 0, offset, count); }

    private static int fua(int flags) { return Flags.has(flags, Flags.FUA) ? Nbd.CMD_FLAG_FUA : 0; }
}
