package dev.jnbdkit.server;

import dev.jnbdkit.backend.Context;
import dev.jnbdkit.backend.Stack;
import dev.jnbdkit.log.Log;
import dev.jnbdkit.log.StartupTrace;
import dev.jnbdkit.protocol.Nbd;
import dev.jnbdkit.protocol.OptionReplies;
import dev.jnbdkit.protocol.ProtocolException;
import dev.jnbdkit.protocol.ReplyEncoder;
import dev.jnbdkit.spi.PluginException;

import java.io.IOException;

/**
 * One client, from preconnect to close: negotiation (with a deadline), then the
 * {@link Transmission} phase, then closing the plugin's handle.
 */
final class Connection implements Runnable {
    /** A client must choose an export within this many seconds of connecting. */
    static final long HANDSHAKE_DEADLINE_SECONDS = 60;

    private final Server server;
    /** The client's stream; replaced by the TLS session if the client does STARTTLS. */
    private volatile Transport t;
    private final Stack stack;
    private final RequestLock requestLock;
    private final ServerSettings settings;
    private final ConnectionState state;
    private final String logContext;

    private Context session;
    private ReplyEncoder encoder;
    private boolean metaContext;
    private volatile boolean dead;

    Connection(Server server, Transport t, int id) {
        this.server = server;
        this.t = t;
        this.stack = server.stack();
        this.requestLock = server.requestLock();
        this.settings = server.settings();
        this.state = new ConnectionState(this::forceClose, t);
        this.logContext = stack.name() + "[" + id + "]";
    }

    @Override
    public void run() {
        Log.setContext(logContext);
        Server.CURRENT.set(state);
        try {
            requestLock.lock();
            try {
                stack.preconnect();
            } finally {
                requestLock.unlock();
            }
            long limit = server.handshakeDeadlineMillis();
            var deadline = server.schedule(() -> {
                Log.setContext(logContext);
                Log.error("handshake: client did not choose an export within "
                        + (limit % 1000 == 0 ? limit / 1000 + " seconds" : limit + " ms") + ": disconnecting");
                Log.setContext(null);
                forceClose();
            }, limit);
            try {
                if (settings.oldstyle()) {
                    oldstyle();
                } else {
                    Handshake h = new Handshake(t, stack, requestLock, settings, state);
                    Handshake.Result r;
                    try {
                        r = h.negotiate();
                    } finally {
                        t = h.transport();
                    }
                    if (r == null) return;
                    session = r.session();
                    encoder = new ReplyEncoder(r.structured(), r.extended());
                    metaContext = r.metaBaseAllocation();
                }
            } finally {
                deadline.cancel(false);
            }
            if (dead) return;
            StartupTrace.mark("handshake done");
            Log.debug("handshake complete, export '" + state.exportName() + "' size " + session.getSize());
            new Transmission(t, session, encoder, metaContext, state, server, logContext).run();
        } catch (PluginException e) {
            Log.debug("connection refused: " + e.getMessage());
        } catch (ProtocolException e) {
            Log.error(e.getMessage());
        } catch (IOException e) {
            Log.debug("connection ended: " + e.getMessage());
        } catch (RuntimeException e) {
            Log.error("connection failed: " + e);
        } finally {
            if (session != null) {
                requestLock.lock();
                try {
                    stack.close(session);
                } finally {
                    requestLock.unlock();
                }
            }
            try {
                t.close();
            } catch (IOException ignored) {
                // nothing more to tell the client
            }
            StartupTrace.mark("connection closed");
            Server.CURRENT.remove();
            Log.setContext(null);
        }
    }

    private void oldstyle() throws IOException {
        int flags;
        requestLock.lock();
        try {
            String name = stack.resolveExportName("", false);
            state.setExportName(name == null ? "" : name);
            session = stack.open(state.exportName(), false);
            flags = TransmissionFlags.of(session, false);
            session.getSize();
            session.canExtents();
        } finally {
            requestLock.unlock();
        }
        encoder = new ReplyEncoder(false, false);
        t.writeFully(OptionReplies.oldstyleGreeting(session.getSize(), 0, flags));
    }

    /** Stop reading new requests; in-flight ones still finish. */
    void stopReading() { t.shutdownInput(); }

    /** Drop the client now: also frees a worker blocked writing to a client that does not read. */
    void forceClose() {
        dead = true;
        t.abort();
    }
}
