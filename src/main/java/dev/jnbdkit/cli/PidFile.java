package dev.jnbdkit.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** {@code -P PIDFILE}: written atomically once the server accepts connections, left at exit (as nbdkit). */
final class PidFile {
    private PidFile() {}

    static void write(String path, long pid) throws IOException {
        Path p = Path.of(path).toAbsolutePath();
        Path tmp = p.resolveSibling(p.getFileName() + ".tmp" + pid);
        Files.writeString(tmp, pid + "\n", StandardCharsets.US_ASCII);
        Files.move(tmp, p, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
