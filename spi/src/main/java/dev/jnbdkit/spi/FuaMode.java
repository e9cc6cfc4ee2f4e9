package dev.jnbdkit.spi;

/** Answer of {@link Handle#canFua}, with nbdkit's numeric values ({@code NBDKIT_FUA_*}). */
public enum FuaMode {
    /** No FUA support: the server does not advertise it. */
    NONE(0),
    /** The server emulates FUA by calling flush after the write. */
    EMULATE(1),
    /** The plugin honours {@link Flags#FUA} itself. */
    NATIVE(2);

    public final int value;

    FuaMode(int value) { this.value = value; }

    public static FuaMode fromValue(int value) {
        for (FuaMode m : values()) if (m.value == value) return m;
        throw new IllegalArgumentException("unknown FUA mode " + value);
    }
}
