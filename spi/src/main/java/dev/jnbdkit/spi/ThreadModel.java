package dev.jnbdkit.spi;

/**
 * How much concurrency a plugin tolerates, from strictest to loosest, with nbdkit's names and
 * numeric values (as returned by {@code nbdkit.THREAD_MODEL_*}).
 */
public enum ThreadModel {
    /** One connection at a time across the whole server. */
    SERIALIZE_CONNECTIONS(0),
    /** Many connections, but one request at a time across all of them. */
    SERIALIZE_ALL_REQUESTS(1),
    /** One request at a time per connection; connections run in parallel. */
    SERIALIZE_REQUESTS(2),
    /** Requests run in parallel, even on one connection. */
    PARALLEL(3);

    public final int value;

    ThreadModel(int value) { this.value = value; }

    /** The stricter of two models. */
    public ThreadModel stricter(ThreadModel other) {
        return value <= other.value ? this : other;
    }

    public static ThreadModel fromValue(int value) {
        for (ThreadModel m : values()) if (m.value == value) return m;
        throw new IllegalArgumentException("unknown thread model " + value);
    }

    /** nbdkit's lower-case name, as printed by {@code --dump-plugin}. */
    public String nbdkitName() { return name().toLowerCase(java.util.Locale.ROOT); }
}
