package dev.jnbdkit.server;

import dev.jnbdkit.backend.Stack;
import dev.jnbdkit.log.Log;
import dev.jnbdkit.log.StartupTrace;
import dev.jnbdkit.spi.Nbdkit;
import dev.jnbdkit.spi.ThreadModel;

import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Accepts clients and runs a {@link Connection} for each on its own platform thread (plugins such
 * as Python must not be called from virtual threads). Enforces the connection-wide parts of the
 * thread model and owns orderly shutdown.
 */
public final class Server {
    /** The connection whose request the current thread serves (for nbdkit_export_name & co). */
    static final ThreadLocal<ConnectionState> CURRENT = new ThreadLocal<>();

    private final Stack stack;
    private final RequestLock requestLock;
    private final ServerSettings settings;
    private final Semaphore connectionLock = new Semaphore(1);
    private final AtomicInteger ids = new AtomicInteger();
    private final Set<Thread> connections = ConcurrentHashMap.newKeySet();
    private final Set<Connection> live = ConcurrentHashMap.newKeySet();
    private volatile boolean shuttingDown;
    private volatile Listener listener;

    public Server(Stack stack, ServerSettings settings) {
        this.stack = stack;
        this.requestLock = new RequestLock(stack.threadModel());
        this.settings = settings;
        Nbdkit.install(new Nbdkit.Services() {
            @Override public void shutdown() { requestShutdown(); }
            @Override public Nbdkit.ConnectionInfo currentConnection() { return CURRENT.get(); }
        });
    }

    private volatile long handshakeDeadlineMillis = TimeUnit.SECONDS.toMillis(Connection.HANDSHAKE_DEADLINE_SECONDS);

    /** How long a client may take to choose an export (default 60 s); tests shorten it. */
    public void setHandshakeDeadline(java.time.Duration d) { handshakeDeadlineMillis = d.toMillis(); }

    long handshakeDeadlineMillis() { return handshakeDeadlineMillis; }

    /** One timer thread for handshake deadlines, made when the first client arrives. */
    private volatile java.util.concurrent.ScheduledExecutorService timer;

    /** Runs {@code action} after {@code seconds} unless the returned future is cancelled first. */
    java.util.concurrent.ScheduledFuture<?> schedule(Runnable action, long millis) {
        var t = timer;
        if (t == null) {
            synchronized (this) {
                if (timer == null) {
                    var stpe = new java.util.concurrent.ScheduledThreadPoolExecutor(1, r ->
                            Thread.ofPlatform().daemon().name("timer").unstarted(r));
                    stpe.setRemoveOnCancelPolicy(true);
                    timer = stpe;
                }
                t = timer;
            }
        }
        return t.schedule(action, millis, TimeUnit.MILLISECONDS);
    }

    Stack stack() { return stack; }

    RequestLock requestLock() { return requestLock; }

    ServerSettings settings() { return settings; }

    boolean shuttingDown() { return shuttingDown; }

    /** Serves the listener's clients until {@link #requestShutdown}; returns once all have ended. */
    public void serve(Listener l) {
        this.listener = l;
        var channels = l.channels();
        for (int i = 1; i < channels.size(); i++) {
            ServerSocketChannel c = channels.get(i);
            Thread.ofPlatform().daemon().name("accept-" + i).start(() -> acceptLoop(l, c));
        }
        acceptLoop(l, channels.getFirst());
        awaitConnections();
    }

    private void acceptLoop(Listener l, ServerSocketChannel c) {
        while (!shuttingDown && c.isOpen()) {
            SocketChannel s = l.accept(c);
            if (s == null) continue;
            StartupTrace.mark("accepted");
            if (shuttingDown) {
                closeQuietly(s);
                break;
            }
            if (settings.keepalive() && !(l.isUnix())) keepalive(s);
            start(new ChannelTransport(s));
        }
    }

    /** Serves exactly one client on the given transport ({@code -s}), in this thread. */
    public void serveOne(Transport t) {
        Connection c = new Connection(this, t, ids.incrementAndGet());
        live.add(c);
        try {
            guarded(c);
        } finally {
            live.remove(c);
        }
    }

    private void start(Transport t) {
        int id = ids.incrementAndGet();
        Connection c = new Connection(this, t, id);
        Thread th = Thread.ofPlatform().name(stack.name() + "[" + id + "]").unstarted(() -> {
            try {
                guarded(c);
            } finally {
                live.remove(c);
                connections.remove(Thread.currentThread());
            }
        });
        live.add(c);
        connections.add(th);
        th.start();
        if (shuttingDown) c.stopReading(); // accepted while shutdown began: do not serve it
        Log.debug("accepted connection " + id + " from " + t.peer());
    }

    private void guarded(Connection c) {
        boolean exclusive = stack.threadModel() == ThreadModel.SERIALIZE_CONNECTIONS;
        if (exclusive) connectionLock.acquireUninterruptibly();
        try {
            c.run();
        } finally {
            if (exclusive) connectionLock.release();
        }
    }

    /** Stop accepting, stop reading requests, let in-flight ones finish. Safe from any thread. */
    public void requestShutdown() {
        if (shuttingDown) return;
        shuttingDown = true;
        Log.debug("shutting down");
        Listener l = listener;
        if (l != null) l.close();
        for (Connection c : live) c.stopReading();
    }


    /** Grace for in-flight requests at shutdown, before connections are dropped (the property is for tests). */
    private static final long GRACE_SECONDS = Long.getLong("jnbdkit.shutdownGraceSeconds", 10);

    private void awaitConnections() {
        if (!joinAll(GRACE_SECONDS)) {
            // Clients that do not read their replies (or plugins that hang) must not keep the
            // server alive: drop the connections, then give the threads a moment to unwind.
            for (Connection c : live) c.forceClose();
            joinAll(5);
        }
        if (!connections.isEmpty()) {
            Log.error("shutdown: " + connections.size() + " connection(s) still running a plugin callback");
        }
    }

    /** True when no connection thread is left. */
    public boolean idle() { return connections.isEmpty(); }

    private boolean joinAll(long seconds) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        for (Thread th : connections) {
            long left = deadline - System.nanoTime();
            if (left <= 0) break;
            try {
                th.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return connections.isEmpty();
    }

    /** --keepalive: let the kernel notice clients that vanished without closing. */
    private static void keepalive(SocketChannel s) {
        try {
            s.setOption(java.net.StandardSocketOptions.SO_KEEPALIVE, true);
        } catch (java.io.IOException | UnsupportedOperationException e) {
            Log.debug("--keepalive: " + e.getMessage());
        }
    }

    private static void closeQuietly(SocketChannel s) {
        try {
            s.close();
        } catch (java.io.IOException ignored) {
            // not served
        }
    }
}
