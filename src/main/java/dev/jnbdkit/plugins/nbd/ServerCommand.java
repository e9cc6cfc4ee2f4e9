package dev.jnbdkit.plugins.nbd;

import dev.jnbdkit.posix.ProcessCalls;
import dev.jnbdkit.posix.SocketCalls;
import dev.jnbdkit.posix.Spawn;
import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.Nbdkit;
import dev.jnbdkit.spi.PluginException;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code command=} and {@code arg=}: an NBD server (qemu-nbd, nbdkit...) started by the plugin
 * with systemd socket activation, as libnbd's nbd_connect_systemd_socket_activation does: a Unix
 * socket in a private directory, already listening, becomes the command's descriptor 3 with
 * {@code LISTEN_PID} (its own pid: set by a shell that then execs it) and {@code LISTEN_FDS=1}.
 * At the end it is asked to go (SIGTERM) if it has not exited by itself, and is waited for.
 */
final class ServerCommand implements AutoCloseable {
    private final Path dir;
    private final Path socket;
    private final int pid;
    private final CompletableFuture<Integer> exit = new CompletableFuture<>();

    private ServerCommand(Path dir, Path socket, int pid) {
        this.dir = dir;
        this.socket = socket;
        this.pid = pid;
        Thread.ofPlatform().daemon().name("nbd-command-wait").start(() -> {
            try {
                exit.complete(Spawn.waitFor(pid));
            } catch (ProcessCalls.PosixException e) {
                exit.completeExceptionally(e);
            }
        });
    }

    static ServerCommand start(List<String> command) {
        try {
            Path dir = Files.createTempDirectory("jnbdkit-nbd");
            Path sock = dir.resolve("sock");
            try (ServerSocketChannel listen = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
                listen.bind(UnixDomainSocketAddress.of(sock));
                int fd = SocketCalls.descriptor(listen);
                if (fd < 0) throw new IOException("cannot reach the listening socket's descriptor (java.base/sun.nio.ch not exported)");
                // Descriptor 3 is the target: a source of 3 could not have close-on-exec cleared.
                int source = fd == 3 ? ProcessCalls.dupCloexec(fd) : fd;
                List<String> argv = new ArrayList<>(List.of("/bin/sh", "-c", "LISTEN_PID=$$; export LISTEN_PID; exec \"$@\"", "sh"));
                argv.addAll(command);
                Map<String, String> env = new HashMap<>(System.getenv());
                env.put("LISTEN_FDS", "1");
                env.remove("LISTEN_PID");
                env.remove("LISTEN_FDNAMES");
                int pid;
                try {
                    pid = Spawn.start(argv, env, source);
                } finally {
                    if (source != fd) ProcessCalls.close(source);
                }
                Nbdkit.debug("nbd: started " + String.join(" ", command) + " (pid " + pid + ") on " + sock);
                return new ServerCommand(dir, sock, pid);
            }
        } catch (IOException e) {
            throw new PluginException(Errno.EIO, "command=" + command.getFirst() + ": " + e.getMessage());
        }
    }

    Target target() { return new Target.Unix(socket); }

    /** The command has exited: its status, else null. */
    Integer exitStatus() { return exit.isDone() && !exit.isCompletedExceptionally() ? exit.join() : null; }

    @Override
    public void close() {
        try {
            if (!waitExit(2)) {
                ProcessHandle.of(pid).ifPresent(ProcessHandle::destroy);
                if (!waitExit(5)) ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
                waitExit(5);
            }
        } finally {
            try {
                Files.deleteIfExists(socket);
                Files.deleteIfExists(dir);
            } catch (IOException ignored) {
                // a temporary directory left behind
            }
        }
    }

    private boolean waitExit(int seconds) {
        try {
            exit.get(seconds, TimeUnit.SECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (Exception e) {
            return true;
        }
    }
}
