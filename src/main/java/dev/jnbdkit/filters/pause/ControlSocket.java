package dev.jnbdkit.filters.pause;

import dev.jnbdkit.spi.Nbdkit;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The pause-control socket: one controller at a time; 'p' pauses (answered 'P' once requests in
 * flight are done), 'r' resumes ('R'), white space is ignored, anything else is answered 'X'.
 */
final class ControlSocket {
    private final Path path;
    private final Gate gate;
    private ServerSocketChannel server;

    ControlSocket(Path path, Gate gate) {
        this.path = path;
        this.gate = gate;
    }

    void start() throws IOException {
        Files.deleteIfExists(path);
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(path));
        Thread t = Thread.ofPlatform().daemon().name("pause-control").unstarted(this::serve);
        t.start();
    }

    private void serve() {
        while (server.isOpen()) {
            try (SocketChannel c = server.accept()) {
                converse(c);
            } catch (IOException e) {
                if (server.isOpen()) Nbdkit.debug("pause: control socket: " + e.getMessage());
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void converse(SocketChannel c) throws IOException, InterruptedException {
        ByteBuffer in = ByteBuffer.allocate(1);
        while (true) {
            in.clear();
            if (c.read(in) < 0) return;
            char cmd = (char) (in.get(0) & 0xff);
            byte reply;
            switch (cmd) {
                case 'p' -> { gate.pause(); reply = 'P'; }
                case 'r' -> { gate.resume(); reply = 'R'; }
                case ' ', '\t', '\n', '\r', '\f', 0x0b -> { continue; }
                default -> reply = 'X';
            }
            c.write(ByteBuffer.wrap(new byte[] {reply}));
        }
    }

    void close() {
        try {
            if (server != null) server.close();
            Files.deleteIfExists(path);
        } catch (IOException e) {
            Nbdkit.debug("pause: " + path + ": " + e.getMessage());
        }
    }
}
