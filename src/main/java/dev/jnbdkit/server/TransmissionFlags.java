package dev.jnbdkit.server;

import dev.jnbdkit.backend.Context;
import dev.jnbdkit.protocol.Nbd;
import dev.jnbdkit.spi.CacheMode;
import dev.jnbdkit.spi.FuaMode;
import dev.jnbdkit.spi.ZeroMode;

/** The transmission flags an export advertises, from the top layer's answers. */
final class TransmissionFlags {
    private TransmissionFlags() {}

    static int of(Context s, boolean structured) {
        int f = Nbd.FLAG_HAS_FLAGS;
        boolean write = s.canWrite();
        boolean zero = write && s.canZero() != ZeroMode.NONE;
        if (!write) f |= Nbd.FLAG_READ_ONLY;
        if (s.canFlush()) f |= Nbd.FLAG_SEND_FLUSH;
        if (write && s.canFua() != FuaMode.NONE) f |= Nbd.FLAG_SEND_FUA;
        if (s.isRotational()) f |= Nbd.FLAG_ROTATIONAL;
        if (write && s.canTrim()) f |= Nbd.FLAG_SEND_TRIM;
        if (zero) f |= Nbd.FLAG_SEND_WRITE_ZEROES;
        if (structured) f |= Nbd.FLAG_SEND_DF;
        if (s.canMultiConn()) f |= Nbd.FLAG_CAN_MULTI_CONN;
        if (s.canCache() != CacheMode.NONE) f |= Nbd.FLAG_SEND_CACHE;
        if (zero && s.canFastZero()) f |= Nbd.FLAG_SEND_FAST_ZERO;
        return f;
    }
}
