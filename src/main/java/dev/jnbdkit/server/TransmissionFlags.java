package dev.jnbdkit.server;

import dev.jnbdkit.backend.ExportSession;
import dev.jnbdkit.protocol.Nbd;

/** The transmission flags an export advertises, from the plugin's answers. */
final class TransmissionFlags {
    private TransmissionFlags() {}

    static int of(ExportSession s, boolean structured) {
        int f = Nbd.FLAG_HAS_FLAGS;
        if (!s.canWrite()) f |= Nbd.FLAG_READ_ONLY;
        if (s.canFlush()) f |= Nbd.FLAG_SEND_FLUSH;
        if (s.canWrite() && s.canFua()) f |= Nbd.FLAG_SEND_FUA;
        if (s.isRotational()) f |= Nbd.FLAG_ROTATIONAL;
        if (s.canTrim()) f |= Nbd.FLAG_SEND_TRIM;
        if (s.canZero()) f |= Nbd.FLAG_SEND_WRITE_ZEROES;
        if (structured) f |= Nbd.FLAG_SEND_DF;
        if (s.canMultiConn()) f |= Nbd.FLAG_CAN_MULTI_CONN;
        if (s.canCache()) f |= Nbd.FLAG_SEND_CACHE;
        if (s.canZero() && s.canFastZero()) f |= Nbd.FLAG_SEND_FAST_ZERO;
        return f;
    }
}
