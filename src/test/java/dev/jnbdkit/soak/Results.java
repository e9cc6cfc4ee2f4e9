package dev.jnbdkit.soak;

import dev.jnbdkit.it.Server;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;

/** Appends each run's measurements to target/soak/results.txt (copied into docs/security.md by hand). */
final class Results {
    private Results() {}

    static synchronized void record(String test, String line) {
        try {
            Path f = Server.home().resolve("target/soak/results.txt");
            Files.createDirectories(f.getParent());
            Files.writeString(f, Instant.now() + " " + test + ": " + line + System.lineSeparator(),
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            System.err.println("cannot record results: " + e);
        }
    }
}
