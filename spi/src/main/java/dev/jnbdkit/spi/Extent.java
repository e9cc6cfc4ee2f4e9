package dev.jnbdkit.spi;

/** Extent types, with nbdkit's values ({@code NBDKIT_EXTENT_*}): a bitmask; 0 is allocated data. */
public final class Extent {
    /** Allocated data. */
    public static final int DATA = 0;
    /** The range is a hole (not allocated). */
    public static final int HOLE = 1 << 0;
    /** The range reads as zeros. */
    public static final int ZERO = 1 << 1;

    private Extent() {}
}
