package dev.jnbdkit.server;

import dev.jnbdkit.protocol.Nbd;
import dev.jnbdkit.spi.Errno;

/** nbdkit's mapping of a plugin's errno to the error the client sees. */
public final class ErrnoMapping {
    private ErrnoMapping() {}

    /**
     * @param fastZero the request was a WRITE_ZEROES with FAST_ZERO (only then is ENOTSUP sent)
     * @param df       the request was a READ with DF (only then is EOVERFLOW sent)
     */
    public static int toNbd(int errno, boolean fastZero, boolean df) {
        return switch (errno) {
            case Errno.EPERM, Errno.EROFS -> Nbd.EPERM;
            case Errno.EIO -> Nbd.EIO;
            case Errno.ENOMEM -> Nbd.ENOMEM;
            case Errno.ENOSPC, Errno.EDQUOT, Errno.EFBIG -> Nbd.ENOSPC;
            case Errno.ESHUTDOWN -> Nbd.ESHUTDOWN;
            case Errno.ENOTSUP -> fastZero ? Nbd.ENOTSUP : Nbd.EINVAL;
            case Errno.EOVERFLOW -> df ? Nbd.EOVERFLOW : Nbd.EINVAL;
            default -> Nbd.EINVAL;
        };
    }
}
