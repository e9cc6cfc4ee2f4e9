package dev.jnbdkit.server;

import dev.jnbdkit.backend.Context;
import dev.jnbdkit.protocol.Nbd;
import dev.jnbdkit.protocol.Request;
import dev.jnbdkit.spi.CacheMode;
import dev.jnbdkit.spi.FuaMode;
import dev.jnbdkit.spi.ZeroMode;

/**
 * Checks a request against the protocol and the export before anything runs, with the errors
 * nbdkit gives: unknown commands and flags, flags the export did not advertise, ranges outside
 * the export, writes to a read-only export, data requests over 64 MiB. Unaligned requests pass:
 * block-size constraints are advice (as in nbdkit).
 */
final class RequestValidator {
    private RequestValidator() {}

    private static final int KNOWN_FLAGS = Nbd.CMD_FLAG_FUA | Nbd.CMD_FLAG_NO_HOLE | Nbd.CMD_FLAG_DF
            | Nbd.CMD_FLAG_REQ_ONE | Nbd.CMD_FLAG_FAST_ZERO;

    /** Throws {@link NbdError} if the request must be refused. */
    static void check(Request r, Context s, boolean structured, boolean metaContext) {
        int type = r.type();
        String cmd = Nbd.commandName(type);
        if (type > Nbd.CMD_BLOCK_STATUS || type == Nbd.CMD_DISC) {
            throw invalid(Nbd.EINVAL, "unknown command " + type);
        }
        if ((r.flags() & ~KNOWN_FLAGS) != 0) {
            throw invalid(Nbd.EINVAL, cmd + ": unknown flags 0x" + Integer.toHexString(r.flags() & ~KNOWN_FLAGS));
        }
        // The protocol says a server that advertised FUA MUST accept it on every command (clients
        // are known to send it on reads and flushes); it only matters for writes, trims and zeroes.
        if (r.has(Nbd.CMD_FLAG_FUA) && s.canFua() == FuaMode.NONE) {
            throw invalid(Nbd.EINVAL, cmd + ": FUA flag not advertised");
        }
        if (r.has(Nbd.CMD_FLAG_NO_HOLE) && type != Nbd.CMD_WRITE_ZEROES) {
            throw invalid(Nbd.EINVAL, cmd + ": NO_HOLE flag only valid for write_zeroes");
        }
        if (r.has(Nbd.CMD_FLAG_FAST_ZERO)) {
            if (type != Nbd.CMD_WRITE_ZEROES) throw invalid(Nbd.EINVAL, cmd + ": FAST_ZERO flag only valid for write_zeroes");
            if (!s.canFastZero()) throw invalid(Nbd.EINVAL, cmd + ": FAST_ZERO flag not advertised");
        }
        if (r.has(Nbd.CMD_FLAG_DF)) {
            if (type != Nbd.CMD_READ) throw invalid(Nbd.EINVAL, cmd + ": DF flag only valid for read");
            if (!structured) throw invalid(Nbd.EINVAL, cmd + ": DF flag needs structured replies");
        }
        if (r.has(Nbd.CMD_FLAG_REQ_ONE) && type != Nbd.CMD_BLOCK_STATUS) {
            throw invalid(Nbd.EINVAL, cmd + ": REQ_ONE flag only valid for block_status");
        }

        switch (type) {
            case Nbd.CMD_FLUSH -> {
                if (!s.canFlush()) throw invalid(Nbd.EINVAL, cmd + ": not supported by this export");
                if (r.offset() != 0 || r.length() != 0) throw invalid(Nbd.EINVAL, cmd + ": expecting offset and count = 0");
                return;
            }
            case Nbd.CMD_WRITE, Nbd.CMD_TRIM, Nbd.CMD_WRITE_ZEROES -> {
                if (!s.canWrite()) throw invalid(Nbd.EPERM, cmd + ": export is read-only");
                if (type == Nbd.CMD_TRIM && !s.canTrim()) throw invalid(Nbd.EINVAL, cmd + ": not supported by this export");
                if (type == Nbd.CMD_WRITE_ZEROES && s.canZero() == ZeroMode.NONE) {
                    throw invalid(Nbd.EINVAL, cmd + ": not supported by this export");
                }
            }
            case Nbd.CMD_CACHE -> {
                if (s.canCache() == CacheMode.NONE) throw invalid(Nbd.EINVAL, cmd + ": not supported by this export");
            }
            case Nbd.CMD_BLOCK_STATUS -> {
                if (!metaContext) throw invalid(Nbd.EINVAL, cmd + ": no meta context was negotiated");
            }
            default -> { }
        }
        if ((type == Nbd.CMD_READ || type == Nbd.CMD_WRITE)
                && Long.compareUnsigned(r.length(), Nbd.MAX_REQUEST_SIZE) > 0) {
            throw invalid(Nbd.ENOMEM, cmd + ": data request is too large ("
                    + Long.toUnsignedString(r.length()) + " > " + Nbd.MAX_REQUEST_SIZE + ")");
        }
        long size = s.getSize();
        // As nbdkit: a zero length counts as out of range (ENOSPC for writes, EINVAL otherwise).
        if (r.length() == 0 || Long.compareUnsigned(r.offset(), size) > 0
                || Long.compareUnsigned(r.length(), size - r.offset()) > 0) {
            int err = type == Nbd.CMD_WRITE || type == Nbd.CMD_WRITE_ZEROES ? Nbd.ENOSPC : Nbd.EINVAL;
            throw invalid(err, cmd + ": offset and count are out of range: offset="
                    + Long.toUnsignedString(r.offset()) + " count=" + Long.toUnsignedString(r.length()));
        }
    }

    private static NbdError invalid(int code, String message) {
        return new NbdError(code, "invalid request: " + message);
    }
}
