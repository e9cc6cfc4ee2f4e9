package dev.jnbdkit.spi;

/** Bits of the {@code flags} argument of the data callbacks, with nbdkit's values. */
public final class Flags {
    /** zero: the plugin may punch a hole instead of writing zeros. */
    public static final int MAY_TRIM = 1 << 0;
    /** pwrite, zero, trim: the data must be on stable storage before returning. */
    public static final int FUA = 1 << 1;
    /** extents: the client wants only the first extent. */
    public static final int REQ_ONE = 1 << 2;
    /** zero: fail with ENOTSUP rather than fall back to something slow. */
    public static final int FAST_ZERO = 1 << 3;

    private Flags() {}

    public static boolean has(int flags, int bit) { return (flags & bit) != 0; }
}
