package dev.jnbdkit.filters.common;

import dev.jnbdkit.spi.Sizes;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The value of {@code cow-on-read} and {@code cache-on-read}: a boolean, or an absolute
 * {@code /PATH} whose existence turns the behaviour on and off while the server runs (checked on
 * every read, as nbdkit does with access(2)).
 */
public sealed interface ReadPolicy {
    boolean active();

    record Fixed(boolean on) implements ReadPolicy {
        @Override public boolean active() { return on; }
    }

    record WhenExists(Path path) implements ReadPolicy {
        @Override public boolean active() { return Files.exists(path); }
    }

    ReadPolicy OFF = new Fixed(false);

    /** A value starting with '/' is a path; anything else must be a boolean (nbdkit's message if not). */
    static ReadPolicy parse(String value) {
        if (value.startsWith("/")) return new WhenExists(Path.of(value));
        return new Fixed(Sizes.parseBool(value));
    }
}
