package dev.jnbdkit.plugins.sh;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * nbdkit_stdio_safe for the inline script: with {@code -s} the server's stdin is the NBD client,
 * and reading a script from it would eat the handshake. The server has by then either adopted a
 * stdin socket (bin/jnbdkit marks that with JNBDKIT_STDIO_SOCKET=1) or moved the client's pipes
 * away, leaving /dev/null on descriptor 0 and stderr on descriptor 1.
 */
final class StdioSafety {
    private StdioSafety() {}

    static boolean stdinIsOurs() {
        if ("1".equals(System.getenv("JNBDKIT_STDIO_SOCKET"))) return false;
        try {
            Path in = Path.of("/proc/self/fd/0");
            boolean devNull = Files.isSameFile(in, Path.of("/dev/null"));
            boolean outIsErr = Files.isSameFile(Path.of("/proc/self/fd/1"), Path.of("/proc/self/fd/2"));
            return !(devNull && outIsErr);
        } catch (IOException e) {
            return true;
        }
    }
}
