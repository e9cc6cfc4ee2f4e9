package dev.jnbdkit.cli;

import dev.jnbdkit.posix.ProcessCalls;
import dev.jnbdkit.server.Transport;
import dev.jnbdkit.server.Transports;

import java.io.IOException;
import java.nio.channels.SocketChannel;

/**
 * For {@code -s}: the client is on stdin/stdout, and nothing a plugin prints, even at load
 * time, may reach it. This runs before any plugin code.
 *
 * <p>When stdin and stdout are one socket (libnbd's connect_command, inetd), bin/jnbdkit has
 * already pointed stdout at stderr and the socket is adopted from descriptor 0 with no native
 * call. Otherwise (pipes) the two descriptors move to new close-on-exec ones, descriptor 1 is
 * pointed at stderr and 0 at /dev/null.
 */
final class Stdio {
    private Stdio() {}

    static Transport takeConnection() throws IOException {
        System.out.flush();
        if ("1".equals(System.getenv("JNBDKIT_STDIO_SOCKET"))
                && System.inheritedChannel() instanceof SocketChannel socket) {
            return Transports.socket(socket);
        }
        int in = ProcessCalls.dupCloexec(0);
        int out = ProcessCalls.dupCloexec(1);
        ProcessCalls.dup2(2, 1);
        int devnull = ProcessCalls.open("/dev/null", ProcessCalls.O_RDWR, 0);
        ProcessCalls.dup2(devnull, 0);
        ProcessCalls.close(devnull);
        return Transports.fds(in, out);
    }
}
