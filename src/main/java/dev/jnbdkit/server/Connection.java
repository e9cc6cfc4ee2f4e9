package dev.jnbdkit.server;

import dev.jnbdkit.backend.Backend;
import dev.jnbdkit.backend.BufferPool;
import dev.jnbdkit.backend.ExportSession;
import dev.jnbdkit.backend.ExtentList;
import dev.jnbdkit.backend.NbdError;
import dev.jnbdkit.log.Log;
import dev.jnbdkit.protocol.Nbd;
import dev.jnbdkit.protocol.OptionReplies;
import dev.jnbdkit.protocol.ProtocolException;
import dev.jnbdkit.protocol.ReplyEncoder;
import dev.jnbdkit.protocol.Request;
import dev.jnbdkit.protocol.RequestDecoder;
import dev.jnbdkit.spi.IoBuffer;
import dev.jnbdkit.spi.ThreadModel;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * One client, from preconnect to close: negotiation, then the transmission loop. One reader
 * thread decodes requests; they run inline when the thread model serializes a connection's
 * requests, else on up to {@code -t} worker threads. Replies go out whole under a write lock, so
 * they may leave in any order (clients match them by cookie).
 */
final class Connection implements Runnable {
    /** Largest oversized write payload we read and discard to keep the connection in sync. */
    private static final long DRAIN_LIMIT = 1L << 30;
    /** A client must choose an export within this many seconds of connecting. */
    static final long HANDSHAKE_DEADLINE_SECONDS = 60;
    /** Most block-status descriptors in one reply. */
    private static final int MAX_EXTENTS = 1 << 16;

    private final Server server;
    private final Transport t;
    private final Backend backend;
    private final ServerSettings settings;
    private final ConnectionState state;
    private final Object writeLock = new Object();
    private final String logContext;

    private ExportSession session;
    /** Reused to read and discard refused write payloads. */
    private ByteBuffer drainScratch;
    private ReplyEncoder encoder;
    private boolean metaContext;
    private volatile boolean dead;

    Connection(Server server, Transport t, int id) {
        this.server = server;
        this.t = t;
        this.backend = server.backend();
        this.settings = server.settings();
        this.state = new ConnectionState(id, this::forceClose);
        this.logContext = backend.name() + "[" + id + "]";
    }

    @Override
    public void run() {
        Log.setContext(logContext);
        Server.CURRENT.set(state);
        try {
            backend.preconnect();
            long limit = server.handshakeDeadlineMillis();
            var deadline = server.schedule(() -> {
                Log.setContext(logContext);
                Log.error("handshake: client did not choose an export within "
                        + (limit % 1000 == 0 ? limit / 1000 + " seconds" : limit + " ms") + ": disconnecting");
                Log.setContext(null);
                dead = true;
                t.abort(); // also frees a thread blocked writing to a client that does not read
            }, limit);
            try {
                if (settings.oldstyle()) {
                    oldstyle();
                } else {
                    Handshake.Result r = new Handshake(t, backend, settings, state).negotiate();
                    if (r == null) return;
                    session = r.session();
                    encoder = new ReplyEncoder(r.structured(), r.extended());
                    metaContext = r.metaBaseAllocation();
                }
            } finally {
                deadline.cancel(false);
            }
            if (dead) return;
            Log.debug("handshake complete, export '" + state.exportName() + "' size " + session.size());
            transmission();
        } catch (NbdError e) {
            Log.debug("connection refused: " + e.getMessage());
        } catch (ProtocolException e) {
            Log.error(e.getMessage());
        } catch (IOException e) {
            Log.debug("connection ended: " + e.getMessage());
        } catch (RuntimeException e) {
            Log.error("connection failed: " + e);
        } finally {
            if (session != null) session.close();
            try {
                t.close();
            } catch (IOException ignored) {
                // nothing more to tell the client
            }
            Server.CURRENT.remove();
            Log.setContext(null);
        }
    }

    private void oldstyle() throws IOException {
        String name = backend.resolveExportName("", false);
        state.setExportName(name == null ? "" : name);
        session = backend.open(state.exportName(), false);
        encoder = new ReplyEncoder(false, false);
        int flags = TransmissionFlags.of(session, false);
        t.writeFully(OptionReplies.oldstyleGreeting(session.size(), 0, flags));
    }

    private void transmission() throws IOException {
        ThreadModel model = backend.threadModel();
        int threads = settings.threads();
        boolean parallel = model == ThreadModel.PARALLEL && threads > 1;
        ThreadPoolExecutor workers = null;
        Semaphore inFlight = null;
        if (parallel) {
            workers = new ThreadPoolExecutor(threads, threads, 10, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
                    r -> {
                        Thread th = new Thread(r, logContext + "-worker");
                        th.setDaemon(true);
                        return th;
                    });
            workers.allowCoreThreadTimeOut(true);
            inFlight = new Semaphore(threads);
        }
        boolean extended = encoder.extended();
        ByteBuffer header = ByteBuffer.allocateDirect(RequestDecoder.headerSize(extended));
        try {
            while (!dead && !state.disconnectRequested() && !server.shuttingDown()) {
                header.clear();
                if (!t.readFully(header)) {
                    Log.debug("client closed the connection");
                    break;
                }
                header.flip();
                Request r = RequestDecoder.decode(header, extended);
                if (r.type() == Nbd.CMD_DISC) {
                    Log.debug("client sent NBD_CMD_DISC");
                    break;
                }
                IoBuffer payload;
                try {
                    payload = receive(r);
                } catch (NbdError e) {
                    Log.error(e.getMessage());
                    reply(r, e);
                    continue;
                }
                if (payload == NO_CONNECTION) break;
                if (parallel) {
                    inFlight.acquireUninterruptibly();
                    Semaphore permits = inFlight;
                    workers.execute(() -> {
                        try {
                            serve(r, payload);
                        } finally {
                            permits.release();
                        }
                    });
                } else {
                    serve(r, payload);
                }
            }
        } catch (ProtocolException e) {
            Log.error(e.getMessage());
        } catch (IOException e) {
            if (!dead) Log.debug("read failed: " + e.getMessage());
        } finally {
            if (workers != null) {
                workers.shutdown();
                try {
                    // In-flight requests finish and are answered before the handle closes.
                    while (!workers.awaitTermination(1, TimeUnit.SECONDS)) {
                        Log.debug("waiting for requests in flight");
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    private static final IoBuffer NO_CONNECTION = new IoBuffer() {
        @Override public java.lang.foreign.MemorySegment segment() { return java.lang.foreign.MemorySegment.NULL; }
        @Override public void retain() {}
        @Override public void release() {}
    };

    /**
     * Validates a request and reads its payload. Throws {@link NbdError} for a request to refuse
     * (its payload already consumed); returns null when there is no payload, and
     * {@link #NO_CONNECTION} when the stream ended or cannot be kept in sync.
     */
    private IoBuffer receive(Request r) throws IOException {
        boolean write = r.type() == Nbd.CMD_WRITE;
        try {
            RequestValidator.check(r, session, encoder.structured(), metaContext);
        } catch (NbdError e) {
            if (write && !drain(r.length())) return NO_CONNECTION;
            throw e;
        }
        if (!write) return null;
        IoBuffer buf = BufferPool.shared().allocate(r.length());
        boolean ok = false;
        try {
            ok = t.readFully(buf.byteBuffer());
        } finally {
            if (!ok) buf.release();
        }
        return ok ? buf : NO_CONNECTION;
    }

    private boolean drain(long length) throws IOException {
        if (Long.compareUnsigned(length, DRAIN_LIMIT) > 0) {
            Log.error("write payload of " + Long.toUnsignedString(length) + " bytes is too large to skip: disconnecting");
            return false;
        }
        if (drainScratch == null) drainScratch = ByteBuffer.allocate(64 * 1024);
        return t.skip(length, drainScratch);
    }

    private void serve(Request r, IoBuffer payload) {
        Log.setContext(logContext);
        Server.CURRENT.set(state);
        ThreadModel model = backend.threadModel();
        boolean global = model == ThreadModel.SERIALIZE_ALL_REQUESTS || model == ThreadModel.SERIALIZE_CONNECTIONS;
        if (global) server.requestLock().lock();
        try {
            execute(r, payload);
        } catch (NbdError e) {
            reply(r, e);
        } catch (RuntimeException e) {
            Log.error(Nbd.commandName(r.type()) + ": " + e);
            reply(r, new NbdError(Nbd.EIO, e.toString()));
        } finally {
            if (global) server.requestLock().unlock();
            if (payload != null) payload.release();
        }
    }

    private void execute(Request r, IoBuffer payload) {
        long off = r.offset();
        long len = r.length();
        boolean fua = r.has(Nbd.CMD_FLAG_FUA);
        switch (r.type()) {
            case Nbd.CMD_READ -> {
                IoBuffer buf = BufferPool.shared().allocate(len);
                try {
                    session.read(buf, off, r.has(Nbd.CMD_FLAG_DF));
                    ByteBuffer h = ByteBuffer.allocate(Nbd.EXTENDED_REPLY_SIZE + 8);
                    encoder.readData(h, r, len);
                    send(h.flip(), buf.byteBuffer());
                } finally {
                    buf.release();
                }
                return;
            }
            case Nbd.CMD_WRITE -> session.write(payload, off, fua);
            case Nbd.CMD_FLUSH -> session.flush();
            case Nbd.CMD_TRIM -> session.trim(len, off, fua);
            case Nbd.CMD_CACHE -> session.cache(len, off);
            case Nbd.CMD_WRITE_ZEROES -> session.zero(len, off, !r.has(Nbd.CMD_FLAG_NO_HOLE), fua,
                    r.has(Nbd.CMD_FLAG_FAST_ZERO));
            case Nbd.CMD_BLOCK_STATUS -> {
                ExtentList ex = session.extents(len, off, r.has(Nbd.CMD_FLAG_REQ_ONE));
                int n = Math.min(ex.count(), MAX_EXTENTS);
                ByteBuffer b = ByteBuffer.allocate(encoder.blockStatusSize(n));
                encoder.blockStatus(b, r, Nbd.BASE_ALLOCATION_ID, ex.lengths(), ex.types(), n);
                send(b.flip());
                return;
            }
            default -> throw new NbdError(Nbd.EINVAL, "invalid request: unknown command " + r.type());
        }
        ByteBuffer b = ByteBuffer.allocate(Nbd.EXTENDED_REPLY_SIZE);
        encoder.ok(b, r);
        send(b.flip());
    }

    private void reply(Request r, NbdError e) {
        String msg = e.getMessage();
        ByteBuffer b = ByteBuffer.allocate(encoder.maxStatusReplySize(msg == null ? 0 : Math.min(msg.length() * 3, 1024)));
        encoder.error(b, r, e.code(), msg);
        send(b.flip());
    }

    private void send(ByteBuffer... parts) {
        if (dead) return;
        synchronized (writeLock) {
            try {
                t.writeFully(parts);
            } catch (IOException e) {
                if (!dead) Log.debug("write failed, client gone: " + e.getMessage());
                dead = true;
                t.shutdownInput();
            }
        }
    }

    /** Stop reading new requests; in-flight ones still finish. */
    void stopReading() { t.shutdownInput(); }

    private void forceClose() {
        dead = true;
        t.shutdownInput();
    }
}
