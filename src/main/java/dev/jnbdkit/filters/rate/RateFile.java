package dev.jnbdkit.filters.rate;

import dev.jnbdkit.spi.Nbdkit;
import dev.jnbdkit.spi.PluginException;
import dev.jnbdkit.spi.Sizes;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * A {@code rate-file}: read at most once a second; a new rate found there is given to the bucket.
 * A missing file or one that does not parse leaves the rate as it is.
 */
final class RateFile {
    private static final long INTERVAL_NANOS = 1_000_000_000L;

    private final Path path;
    private long lastCheck = System.nanoTime() - INTERVAL_NANOS;

    RateFile(String path) { this.path = Path.of(path); }

    /** The rate in the file now, if it is time to look and there is one, else -1. */
    long poll() {
        synchronized (this) {
            long now = System.nanoTime();
            if (now - lastCheck < INTERVAL_NANOS) return -1;
            lastCheck = now;
        }
        String text;
        try {
            text = Files.readString(path).strip();
        } catch (NoSuchFileException e) {
            return -1;
        } catch (IOException e) {
            Nbdkit.debug("rate: " + path + ": " + e.getMessage());
            return -1;
        }
        try {
            long r = Sizes.parse(text);
            return r > 0 ? r : -1;
        } catch (PluginException e) {
            Nbdkit.debug("rate: " + path + ": " + e.getMessage());
            return -1;
        }
    }

}
