package dev.jnbdkit.spi;

/** Answer of {@link Handle#canCache}, with nbdkit's numeric values ({@code NBDKIT_CACHE_*}). */
public enum CacheMode {
    /** NBD_CMD_CACHE is not advertised. */
    NONE(0),
    /** The server emulates cache by reading and discarding the data. */
    EMULATE(1),
    /** The plugin's {@link Handle#cache} is called. */
    NATIVE(2);

    public final int value;

    CacheMode(int value) { this.value = value; }

    public static CacheMode fromValue(int value) {
        for (CacheMode m : values()) if (m.value == value) return m;
        throw new IllegalArgumentException("unknown cache mode " + value);
    }
}
