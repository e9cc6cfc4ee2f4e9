package dev.jnbdkit.it;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The transports on which a long-running server is reached by any client through a URI.
 * (-s and --run are exercised separately: their clients are started by or for the server.)
 */
enum Transport {
    /** {@code -f -i 127.0.0.1 -p PORT}. */
    TCP,
    /** {@code -f -U SOCKET}. */
    UNIX,
    /**
     * Socket activation: {@code systemd-socket-activate -l SOCKET server ARGS}, which listens, and
     * on the first connection execs the server with LISTEN_PID (its own pid), LISTEN_FDS=1 and the
     * listening socket as fd 3.
     */
    SOCKET_ACTIVATION;

    Server start(Path dir, String... args) {
        Path sock = dir.resolve("sock");
        switch (this) {
            case TCP:
                return Server.tcp(args);
            case UNIX:
                return Server.unix(sock, args);
            case SOCKET_ACTIVATION: {
                Clients.require("systemd-socket-activate");
                List<String> a = new ArrayList<>(List.of(
                        Clients.resolve("systemd-socket-activate").toString(), "-l", sock.toString()));
                a.addAll(Server.argv(args));
                return Server.startAndWait(a, sock, 0);
            }
            default:
                throw new AssertionError(this);
        }
    }
}
