package dev.jnbdkit.spi;

/** The Linux errno values plugins report; numbers match Python's {@code errno} module on Linux. */
public final class Errno {
    public static final int EPERM = 1;
    public static final int EIO = 5;
    public static final int ENOMEM = 12;
    public static final int EFAULT = 14;
    public static final int EFBIG = 27;
    public static final int EINVAL = 22;
    public static final int ENOSPC = 28;
    public static final int EROFS = 30;
    public static final int ERANGE = 34;
    public static final int ENOTSUP = 95;
    public static final int EOPNOTSUPP = ENOTSUP;
    public static final int ESHUTDOWN = 108;
    public static final int EOVERFLOW = 75;
    public static final int EDQUOT = 122;
    public static final int ENOENT = 2;
    public static final int EBADF = 9;

    private Errno() {}
}
