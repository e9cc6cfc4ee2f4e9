package dev.jnbdkit.server;

import dev.jnbdkit.backend.BufferPool;
import dev.jnbdkit.backend.Context;
import dev.jnbdkit.backend.ExtentList;
import dev.jnbdkit.log.Log;
import dev.jnbdkit.protocol.Nbd;
import dev.jnbdkit.protocol.ProtocolException;
import dev.jnbdkit.protocol.ReplyEncoder;
import dev.jnbdkit.protocol.Request;
import dev.jnbdkit.protocol.RequestDecoder;
import dev.jnbdkit.spi.Flags;
import dev.jnbdkit.spi.IoBuffer;
import dev.jnbdkit.spi.PluginException;
import dev.jnbdkit.spi.ThreadModel;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The transmission phase of one connection, laid out as nbdkit's: up to {@code -t} worker
 * threads, each taking the read lock to read one whole request (header and payload), then
 * running it and queueing its reply, so there is no hand-off between a reader and a worker.
 * Workers are started only as requests overlap. When the thread model serializes a connection's
 * requests there is one worker: the connection's own thread.
 *
 * <p>This is the top of the stack, where nbdkit's protocol.c sits: NBD flags become nbdkit's int
 * flags, the thread model's request lock is taken once per request around everything the request
 * does in the layers, and a layer's errno becomes the NBD error, once, here.
 */
final class Transmission {
    /** Largest oversized write payload read and discarded to keep the connection in sync. */
    private static final long DRAIN_LIMIT = 1L << 30;
    /**
     * Request data a connection may hold at once (payloads read, read buffers not yet sent):
     * a client that sends faster than it reads replies is slowed, not fed memory.
     */
    private static final int IN_FLIGHT_BYTES = 2 * Nbd.MAX_REQUEST_SIZE;

    /**
     * One request read from the client: to run, or already refused. A write's data is either
     * in {@code payload} or, when {@code written}, already in the plugin's memory (write views).
     */
    private record Job(Request request, IoBuffer payload, int budget, NbdError refusal, boolean written) {
        Job(Request request, IoBuffer payload, int budget, NbdError refusal) {
            this(request, payload, budget, refusal, false);
        }
    }

    private static final Job END = new Job(null, null, 0, null);

    private final Transport t;
    private final Context session;
    private final RequestLock requestLock;
    /** Write views land data outside any lock: only when requests run in parallel. */
    private final boolean writeViews;
    private final ReplyEncoder encoder;
    private final boolean metaContext;
    private final ConnectionState state;
    private final Server server;
    private final String logContext;
    private final int maxWorkers;
    private final ReplyWriter writer;
    private final BufferPool pool;
    private final Semaphore inFlightBytes = new Semaphore(IN_FLIGHT_BYTES);
    private final ReentrantLock readLock = new ReentrantLock();
    private final RequestReader in;
    private final int headerSize;
    private final List<Thread> workers = new CopyOnWriteArrayList<>();
    private ByteBuffer drainScratch;
    private volatile boolean ended;

    Transmission(Transport t, Context session, ReplyEncoder encoder, boolean metaContext,
                 ConnectionState state, Server server, String logContext) {
        this.t = t;
        this.session = session;
        this.encoder = encoder;
        this.metaContext = metaContext;
        this.state = state;
        this.server = server;
        this.logContext = logContext;
        boolean parallel = server.stack().threadModel() == ThreadModel.PARALLEL;
        this.requestLock = server.requestLock();
        this.writeViews = parallel;
        this.maxWorkers = parallel ? Math.max(1, server.settings().threads()) : 1;
        this.writer = new ReplyWriter(t);
        this.pool = new BufferPool(maxWorkers + 1);
        this.in = new RequestReader(t);
        this.headerSize = RequestDecoder.headerSize(encoder.extended());
    }

    /** Serves requests until the client leaves; returns once every request is answered. */
    void run() {
        work();
        for (Thread w : workers) {
            try {
                w.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        pool.close();
    }

    private void work() {
        while (serveNext()) {
            // one request per call
        }
    }

    /**
     * Reads one request and serves it; false once the connection is done. The loop around it is
     * entered once per thread, so it runs in the interpreter until its own on-stack compilation,
     * some 60000 requests later (1M writes never get there); a method per request is compiled
     * after a few hundred.
     */
    private boolean serveNext() {
        Job job;
        readLock.lock();
        try {
            if (ended) return false;
            job = next();
            if (job == END) {
                ended = true;
                return false;
            }
        } finally {
            readLock.unlock();
        }
        maybeAddWorker();
        serve(job);
        return true;
    }

    /** Another worker, if requests overlap: nobody else is waiting to read the next one. */
    private void maybeAddWorker() {
        if (workers.size() + 1 >= maxWorkers || ended || readLock.hasQueuedThreads()) return;
        Thread w = Thread.ofPlatform().name(logContext + "-worker").daemon().unstarted(() -> {
            Log.setContext(logContext);
            Server.CURRENT.set(state);
            work();
        });
        workers.add(w);
        w.start();
    }

    /** Reads the next request (under the read lock). */
    private Job next() {
        try {
            ByteBuffer header = in.next(headerSize);
            if (header == null) {
                Log.debug("client closed the connection");
                return END;
            }
            Request r = RequestDecoder.decode(header, encoder.extended());
            if (r.type() == Nbd.CMD_DISC) {
                Log.debug("client sent NBD_CMD_DISC");
                return END;
            }
            if (server.shuttingDown() || writer.failed()) return END;
            boolean write = r.type() == Nbd.CMD_WRITE;
            try {
                if (state.disconnectRequested()) {
                    throw new NbdError(Nbd.ESHUTDOWN, "the plugin asked to disconnect this client");
                }
                RequestValidator.check(r, session, encoder.structured(), metaContext);
            } catch (NbdError e) {
                if (write && !drain(r.length())) return END;
                if (e.code() != Nbd.ESHUTDOWN) Log.error(e.getMessage());
                return new Job(r, null, 0, e);
            }
            int budget = r.type() == Nbd.CMD_READ || write ? (int) r.length() : 0;
            inFlightBytes.acquireUninterruptibly(budget);
            if (!write) return new Job(r, null, budget, null);
            MemorySegment[] views;
            try {
                views = writeViews ? session.writeViews(r.length(), r.offset(), nbdkitFlags(r)) : null;
            } catch (PluginException e) {
                inFlightBytes.release(budget);
                if (!drain(r.length())) return END;
                return new Job(r, null, 0, nbdError(r, e));
            }
            if (views != null) {
                ByteBuffer[] parts = new ByteBuffer[views.length];
                for (int i = 0; i < views.length; i++) parts[i] = views[i].asByteBuffer();
                boolean ok = false;
                try {
                    ok = in.readFully(parts);
                } finally {
                    if (!ok) inFlightBytes.release(budget);
                }
                return ok ? new Job(r, null, budget, null, true) : END;
            }
            IoBuffer buf;
            try {
                buf = pool.allocate(r.length());
            } catch (PluginException e) {
                inFlightBytes.release(budget);
                if (!drain(r.length())) return END;
                Log.error(e.getMessage());
                return new Job(r, null, 0, nbdError(r, e));
            }
            boolean ok = false;
            try {
                ok = in.readFully(buf.byteBuffer());
            } finally {
                if (!ok) {
                    buf.release();
                    inFlightBytes.release(budget);
                }
            }
            return ok ? new Job(r, buf, budget, null) : END;
        } catch (ProtocolException e) {
            Log.error(e.getMessage());
            return END;
        } catch (IOException e) {
            if (!writer.failed()) Log.debug("read failed: " + e.getMessage());
            return END;
        }
    }

    private boolean drain(long length) throws IOException {
        if (Long.compareUnsigned(length, DRAIN_LIMIT) > 0) {
            Log.error("write payload of " + Long.toUnsignedString(length) + " bytes is too large to skip: disconnecting");
            return false;
        }
        if (drainScratch == null) drainScratch = ByteBuffer.allocate(64 * 1024);
        return in.skip(length, drainScratch);
    }

    /**
     * Runs one request and queues its reply. Every buffer and byte of budget is given back. Each
     * kind of command has its own small method, so that the JIT compiles the hot ones (read,
     * write) on their own, and a command seen for the first time late (a flush at the end of a
     * copy) recompiles only its own method.
     */
    private void serve(Job job) {
        Request r = job.request();
        boolean budgetHandedOver = false;
        try {
            if (job.refusal() != null) {
                error(r, job.refusal());
                return;
            }
            switch (r.type()) {
                case Nbd.CMD_READ -> budgetHandedOver = read(r, job.budget());
                case Nbd.CMD_BLOCK_STATUS -> blockStatus(r);
                default -> {
                    requestLock.lock();
                    try {
                        if (job.written()) session.writtenThroughViews(nbdkitFlags(r));
                        else command(r, job.payload());
                    } finally {
                        requestLock.unlock();
                    }
                    ByteBuffer b = ByteBuffer.allocate(Nbd.EXTENDED_REPLY_SIZE);
                    encoder.ok(b, r);
                    writer.send(new ByteBuffer[] {b.flip()}, null);
                }
            }
        } catch (NbdError e) {
            error(r, e);
        } catch (PluginException e) {
            error(r, nbdError(r, e));
        } catch (RuntimeException | OutOfMemoryError | StackOverflowError e) {
            Log.error(Nbd.commandName(r.type()) + ": " + e);
            error(r, new NbdError(Nbd.EIO, Nbd.commandName(r.type()) + " failed"));
        } finally {
            if (job.payload() != null) job.payload().release();
            if (!budgetHandedOver) inFlightBytes.release(job.budget());
        }
    }

    /**
     * Queues a read's data: views of the plugin's own memory when it offers them, else a pooled
     * buffer the plugin fills. Returns true: the byte budget then travels with the reply and is
     * given back once the data is sent.
     */
    private boolean read(Request r, int budget) {
        long len = r.length();
        MemorySegment[] views;
        requestLock.lock();
        try {
            views = session.readViews(len, r.offset(), 0);
        } finally {
            requestLock.unlock();
        }
        if (views != null) {
            ByteBuffer[] parts = new ByteBuffer[views.length + 1];
            parts[0] = dataHeader(r, len);
            for (int i = 0; i < views.length; i++) parts[i + 1] = views[i].asByteBuffer();
            writer.send(parts, new GiveBack(null, budget));
            return true;
        }
        IoBuffer buf = pool.allocate(len);
        requestLock.lock();
        try {
            session.pread(buf, r.offset(), 0);
        } catch (RuntimeException | Error e) {
            buf.release();
            throw e;
        } finally {
            requestLock.unlock();
        }
        writer.send(new ByteBuffer[] {dataHeader(r, len), buf.byteBuffer()}, new GiveBack(buf, budget));
        return true;
    }

    /**
     * What a sent read gives back: its buffer (if pooled) and its byte budget. A class, not a
     * capturing lambda: C1-compiled code (this package is C1 only, see bin/jit-directives.json)
     * allocates a lambda through a native call into the VM, an object of a class inline.
     */
    private final class GiveBack implements Runnable {
        private final IoBuffer buf;
        private final int budget;

        GiveBack(IoBuffer buf, int budget) {
            this.buf = buf;
            this.budget = budget;
        }

        @Override
        public void run() {
            if (buf != null) buf.release();
            inFlightBytes.release(budget);
        }
    }

    private ByteBuffer dataHeader(Request r, long len) {
        ByteBuffer h = ByteBuffer.allocate(Nbd.EXTENDED_REPLY_SIZE + 8);
        encoder.readData(h, r, len);
        return h.flip();
    }

    private void blockStatus(Request r) {
        boolean one = r.has(Nbd.CMD_FLAG_REQ_ONE);
        ExtentList ex = new ExtentList(r.offset(), r.length(), one);
        requestLock.lock();
        try {
            session.extents(r.length(), r.offset(), nbdkitFlags(r), ex);
        } finally {
            requestLock.unlock();
        }
        ex.checkNotEmpty();
        ByteBuffer b = ByteBuffer.allocate(encoder.blockStatusSize(ex.count()));
        encoder.blockStatus(b, r, Nbd.BASE_ALLOCATION_ID, ex.lengths(), ex.types(), ex.count());
        writer.send(new ByteBuffer[] {b.flip()}, null);
    }

    /** The commands whose reply is a plain "done". */
    private void command(Request r, IoBuffer payload) {
        long off = r.offset();
        long len = r.length();
        int flags = nbdkitFlags(r);
        switch (r.type()) {
            case Nbd.CMD_WRITE -> session.pwrite(payload, off, flags);
            case Nbd.CMD_FLUSH -> session.flush(0);
            case Nbd.CMD_TRIM -> session.trim(len, off, flags);
            case Nbd.CMD_CACHE -> session.cache(len, off, 0);
            case Nbd.CMD_WRITE_ZEROES -> session.zero(len, off, flags);
            default -> throw new NbdError(Nbd.EINVAL, "invalid request: unknown command " + r.type());
        }
    }

    /** The request's NBD command flags as nbdkit's flags for the layers. */
    static int nbdkitFlags(Request r) {
        int f = 0;
        if (r.has(Nbd.CMD_FLAG_FUA)) f |= Flags.FUA;
        if (r.type() == Nbd.CMD_WRITE_ZEROES) {
            if (!r.has(Nbd.CMD_FLAG_NO_HOLE)) f |= Flags.MAY_TRIM;
            if (r.has(Nbd.CMD_FLAG_FAST_ZERO)) f |= Flags.FAST_ZERO;
        }
        if (r.has(Nbd.CMD_FLAG_REQ_ONE)) f |= Flags.REQ_ONE;
        return f;
    }

    /** A layer's failure as the client hears it: FAST_ZERO and DF decide how ENOTSUP and EOVERFLOW map. */
    static NbdError nbdError(Request r, PluginException e) {
        boolean fastZero = r.type() == Nbd.CMD_WRITE_ZEROES && r.has(Nbd.CMD_FLAG_FAST_ZERO);
        boolean df = r.type() == Nbd.CMD_READ && r.has(Nbd.CMD_FLAG_DF);
        return new NbdError(ErrnoMapping.toNbd(e.errno(), fastZero, df), e.getMessage());
    }

    private void error(Request r, NbdError e) {
        String msg = e.getMessage();
        ByteBuffer b = ByteBuffer.allocate(encoder.maxStatusReplySize(msg == null ? 0 : Math.min(msg.length() * 3, 1024)));
        encoder.error(b, r, e.code(), msg);
        writer.send(new ByteBuffer[] {b.flip()}, null);
    }
}
