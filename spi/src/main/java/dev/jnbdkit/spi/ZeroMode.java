package dev.jnbdkit.spi;

/**
 * How a layer makes ranges read as zeros, with nbdkit's numeric values ({@code NBDKIT_ZERO_*}).
 * A plugin answers yes or no ({@link Handle#canZero}); its adapter turns that into
 * {@link #NATIVE} or {@link #EMULATE}. Only a filter can answer {@link #NONE}.
 */
public enum ZeroMode {
    /** WRITE_ZEROES is not advertised. */
    NONE(0),
    /** The layer's zero is never called: the server writes zeros through its pwrite. */
    EMULATE(1),
    /** The layer's zero is called; ENOTSUP from it still falls back to writing zeros. */
    NATIVE(2);

    public final int value;

    ZeroMode(int value) { this.value = value; }

    public static ZeroMode fromValue(int value) {
        for (ZeroMode m : values()) if (m.value == value) return m;
        throw new IllegalArgumentException("unknown zero mode " + value);
    }
}
