package dev.jnbdkit.server;

import dev.jnbdkit.backend.Stack;
import dev.jnbdkit.backend.FakePlugin;
import dev.jnbdkit.it.RawNbd;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.fail;

/** A real server on a loopback TCP port (or a Unix socket), in this JVM, on its own thread. */
final class TestServer implements AutoCloseable {
    final FakePlugin plugin;
    final Server server;
    private final Thread thread;
    private final Listener listener;
    private volatile Throwable failure;

    private TestServer(FakePlugin plugin, boolean readonly, ServerSettings settings, Listener l) {
        this.plugin = plugin;
        this.listener = l;
        this.server = new Server(Stack.of(plugin, readonly), settings);
        this.thread = Thread.ofPlatform().name("test-server").daemon().start(() -> {
            try {
                server.serve(l);
            } catch (Throwable t) {
                failure = t;
            }
        });
    }

    static TestServer start(FakePlugin plugin) throws IOException {
        return start(plugin, false, ServerSettings.defaults());
    }

    static TestServer start(FakePlugin plugin, boolean readonly, ServerSettings settings) throws IOException {
        return new TestServer(plugin, readonly, settings, Listener.tcp("127.0.0.1", 0, true, false));
    }

    static TestServer unix(FakePlugin plugin, Path path) throws IOException {
        return new TestServer(plugin, false, ServerSettings.defaults(), Listener.unix(path));
    }

    int port() throws IOException { return listener.port(); }

    RawNbd connect() throws IOException { return RawNbd.tcp(port()); }

    /** Connected, fixed newstyle, and GO on the default export. */
    RawNbd ready() throws IOException {
        RawNbd c = connect().start();
        c.go("");
        return c;
    }

    /** Waits (generously, only to avoid hanging) until every plugin handle is closed. */
    void awaitHandlesClosed() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (plugin.openHandles.get() != 0) {
            if (System.nanoTime() > deadline) fail("plugin handles still open: " + plugin.openHandles.get());
            Thread.sleep(10);
        }
    }

    @Override
    public void close() throws Exception {
        server.requestShutdown();
        thread.join(TimeUnit.SECONDS.toMillis(20));
        assertFalse(thread.isAlive(), "serve() did not return after requestShutdown()");
        if (failure != null) throw new AssertionError("serve() failed", failure);
        assertEquals(0, plugin.openHandles.get(), "plugin handles leaked");
    }
}
