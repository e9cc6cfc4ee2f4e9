package dev.jnbdkit;

import dev.jnbdkit.backend.PluginRegistry;
import dev.jnbdkit.backend.Stack;
import dev.jnbdkit.server.Listener;
import dev.jnbdkit.server.Server;
import dev.jnbdkit.server.ServerSettings;
import dev.jnbdkit.server.tls.ServerTls;
import dev.jnbdkit.spi.Filter;
import dev.jnbdkit.spi.Plugin;
import dev.jnbdkit.spi.PluginException;

import java.io.IOException;
import java.net.URI;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * jnbdkit as a library: an NBD server running inside a Java program, with the semantics of the
 * command line ({@code jnbdkit [--filter=F ...] PLUGIN key=value ...}).
 *
 * <pre>{@code
 * try (NbdServer server = NbdServer.builder()
 *         .plugin(new MyPlugin())              // or .plugin("memory")
 *         .config("size", "1G")                // key=value, routed through the filters to the plugin
 *         .filter("cow")                       // outermost first, as --filter
 *         .unixSocket(Path.of("/tmp/nbd.sock"))
 *         .start()) {
 *     System.out.println(server.uri());        // nbd+unix:///?socket=/tmp/nbd.sock
 *     server.awaitShutdown();                  // until close() or a plugin's nbdkit_shutdown
 * }
 * }</pre>
 *
 * <p>{@link Builder#start} runs the plugin's and filters' start-up callbacks in nbdkit's order
 * (load, config, config_complete, get_ready, after_fork), then serves each client on its own
 * thread. {@link #close} stops accepting, lets in-flight requests finish, closes every connection
 * and runs cleanup and unload. A start-up failure is a {@link PluginException} with the message
 * the command line would print.
 */
public final class NbdServer implements AutoCloseable {
    private final Stack stack;
    private final Server server;
    private final Listener listener;
    private final String uri;
    private final Thread serving;
    private boolean closed;

    private NbdServer(Stack stack, Server server, Listener listener, String uri) {
        this.stack = stack;
        this.server = server;
        this.listener = listener;
        this.uri = uri;
        this.serving = Thread.ofPlatform().name("nbd-server").start(() -> server.serve(listener));
    }

    public static Builder builder() { return new Builder(); }

    /** The NBD URI clients connect to ({@code nbd://127.0.0.1:PORT/} or {@code nbd+unix:///?socket=PATH}). */
    public String uri() { return uri; }

    /** The TCP port listened on (the chosen one when the builder asked for port 0), or 0 for a Unix socket. */
    public int port() {
        try {
            return listener.port();
        } catch (IOException e) {
            return 0;
        }
    }

    /** Blocks until the server stops: {@link #close} from another thread, or a plugin asking to shut down. */
    public void awaitShutdown() throws InterruptedException { serving.join(); }

    /** Stops serving (in-flight requests finish), then cleanup and unload. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        server.requestShutdown();
        try {
            serving.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            listener.close();
            if (server.idle()) stack.cleanup();
            stack.unload();
        }
    }

    /** What to serve and how; each setter is the command-line option of the same meaning. */
    public static final class Builder {
        private Plugin plugin;
        private final List<Filter> filters = new ArrayList<>();
        private final List<String[]> config = new ArrayList<>();
        private boolean readonly;
        private int threads = 16;
        private String tcpAddress = "127.0.0.1";
        private int tcpPort = -1;
        private Path unixSocket;
        private ServerSocketChannel channel;
        private String tls = "off";
        private Path tlsCertificates, tlsPsk;
        private boolean tlsVerifyPeer;

        private Builder() {}

        /** The plugin: an instance of your own. */
        public Builder plugin(Plugin p) { this.plugin = p; return this; }

        /** The plugin: a built-in one by name ({@code memory}, {@code file}, {@code python}...) or a jar's path. */
        public Builder plugin(String name) {
            Plugin p = PluginRegistry.builtin(name);
            if (p == null && name.endsWith(".jar")) p = PluginRegistry.fromJar(Path.of(name));
            if (p == null) throw new PluginException("no such built-in plugin or plugin jar: " + name);
            this.plugin = p;
            return this;
        }

        /** A filter instance, stacked after (inside) the ones added before: the first is outermost. */
        public Builder filter(Filter f) { filters.add(f); return this; }

        /** A built-in filter by name, or a filter jar's path ({@code --filter=NAME}). */
        public Builder filter(String name) { filters.add(PluginRegistry.filter(name)); return this; }

        /** A {@code key=value} parameter, given to the outermost layer (filters pass on what is not theirs). */
        public Builder config(String key, String value) { config.add(new String[] {key, value}); return this; }

        /** {@code -r}. */
        public Builder readonly(boolean r) { this.readonly = r; return this; }

        /** {@code -t}: requests in flight per connection (default 16). */
        public Builder threads(int n) {
            if (n < 1) throw new IllegalArgumentException("threads must be at least 1");
            this.threads = n;
            return this;
        }

        /** {@code -i ADDRESS -p PORT}; port 0 picks a free one (see {@link NbdServer#port}). Default: 127.0.0.1, port 0. */
        public Builder tcp(String address, int port) {
            this.tcpAddress = address;
            this.tcpPort = port;
            this.unixSocket = null;
            return this;
        }

        /** {@code -U PATH}. */
        public Builder unixSocket(Path path) { this.unixSocket = path; return this; }

        /**
         * Serve on a listening channel the program already has, TCP or Unix: one it bound itself, or
         * {@code (ServerSocketChannel) System.inheritedChannel()} when a service manager started the
         * program with the socket as its standard input (systemd's {@code StandardInput=socket},
         * inetd's {@code wait} mode). The server owns the channel from then on and closes it.
         */
        public Builder channel(ServerSocketChannel listening) { this.channel = listening; return this; }

        /** {@code --tls=off|on|require} with {@code --tls-certificates=DIR}. */
        public Builder tlsCertificates(String mode, Path dir) {
            this.tls = mode;
            this.tlsCertificates = dir;
            return this;
        }

        /** {@code --tls=off|on|require} with {@code --tls-psk=FILE}. */
        public Builder tlsPsk(String mode, Path file) {
            this.tls = mode;
            this.tlsPsk = file;
            return this;
        }

        /** {@code --tls-verify-peer}. */
        public Builder tlsVerifyPeer(boolean v) { this.tlsVerifyPeer = v; return this; }

        /** Runs the start-up callbacks, listens, and serves in the background. */
        public NbdServer start() throws IOException {
            if (plugin == null) throw new IllegalStateException("no plugin: call plugin(...) first");
            Stack stack = Stack.of(filters, plugin, readonly);
            boolean loaded = false;
            Listener listener = null;
            try {
                stack.load();
                loaded = true;
                for (String[] kv : config) stack.config(kv[0], kv[1]);
                stack.configComplete();
                stack.getReady();
                ServerTls serverTls;
                try {
                    serverTls = ServerTls.configure(tls,
                            tlsCertificates == null ? null : tlsCertificates.toString(),
                            tlsPsk == null ? null : tlsPsk.toString(), tlsVerifyPeer);
                } catch (ServerTls.SetupException e) {
                    throw new PluginException(e.getMessage());
                }
                String uri;
                if (channel != null) {
                    listener = Listener.adopt(channel);
                    uri = channel.getLocalAddress() instanceof java.net.UnixDomainSocketAddress u
                            ? "nbd+unix:///?socket=" + u.getPath().toAbsolutePath()
                            : tcpUri(connectable((java.net.InetSocketAddress) channel.getLocalAddress()), listener.port());
                } else if (unixSocket != null) {
                    listener = Listener.unix(unixSocket);
                    uri = "nbd+unix:///?socket=" + unixSocket.toAbsolutePath();
                } else {
                    listener = Listener.tcp(tcpAddress, Math.max(0, tcpPort), false, false);
                    uri = tcpUri(tcpAddress, listener.port());
                }
                stack.afterFork();
                Server server = new Server(stack, new ServerSettings(false, false, 0xffff, threads, serverTls));
                return new NbdServer(stack, server, listener, uri);
            } catch (RuntimeException | IOException e) {
                if (listener != null) listener.close();
                if (loaded) stack.unload();
                throw e;
            }
        }

        /** Where a local client reaches a channel bound to {@code local} (a wildcard address: this host). */
        private static String connectable(java.net.InetSocketAddress local) {
            return local.getAddress().isAnyLocalAddress() ? "localhost" : local.getAddress().getHostAddress();
        }

        private static String tcpUri(String address, int port) {
            String host = address.contains(":") ? "[" + address + "]" : address;
            return URI.create("nbd://" + host + ":" + port + "/").toString();
        }
    }
}
