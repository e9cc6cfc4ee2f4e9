package dev.jnbdkit.plugins.nbd;

import dev.jnbdkit.protocol.Nbd;
import dev.jnbdkit.protocol.ProtocolException;
import dev.jnbdkit.protocol.ReplyDecoder;
import dev.jnbdkit.protocol.ReplyDecoder.ReplyHeader;
import dev.jnbdkit.protocol.Request;
import dev.jnbdkit.protocol.RequestDecoder;
import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.ExtentSink;
import dev.jnbdkit.spi.Nbdkit;
import dev.jnbdkit.spi.PluginException;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One connection to the remote server in the transmission phase. Requests from any number of
 * threads are pipelined: each is written whole under the write lock and waits for its reply,
 * which a reader thread matches by cookie, reading read data straight into the request's buffer
 * (simple replies, or OFFSET_DATA / OFFSET_HOLE chunks) and collecting block-status extents.
 *
 * <p>When the connection breaks (the server goes away, or breaks the protocol) every waiting
 * request and every later one fails with EIO, and the reason is logged once.
 */
final class RemoteConnection implements AutoCloseable {
    /** Longest non-data chunk payload believed (block status of a big request included). */
    private static final long MAX_CHUNK = 64L << 20;

    private final Negotiated n;
    private final Wire wire;
    private final String server;
    private final ReentrantLock writeLock = new ReentrantLock();
    private final ConcurrentHashMap<Long, Pending> pending = new ConcurrentHashMap<>();
    private final AtomicLong cookies = new AtomicLong();
    private final Thread reader;
    private volatile String dead;
    private volatile boolean closing;

    /** One request in flight. */
    private static final class Pending {
        final Request request;
        final MemorySegment dest;
        final List<long[]> extents = new ArrayList<>();
        final CountDownLatch done = new CountDownLatch(1);
        volatile int error;
        volatile String message;

        Pending(Request request, MemorySegment dest) {
            this.request = request;
            this.dest = dest;
        }

        void fail(int nbdError, String msg) {
            if (error == 0) {
                error = nbdError;
                message = msg;
            }
        }
    }

    RemoteConnection(Negotiated n, String server) {
        this.n = n;
        this.wire = n.wire();
        this.server = server;
        reader = Thread.ofPlatform().daemon().name("nbd-reply-reader").start(this::readLoop);
    }

    Negotiated negotiated() { return n; }

    boolean isDead() { return dead != null; }

    // ---- requests ----------------------------------------------------------------------------

    void read(MemorySegment into, long offset) {
        run(new Request(0, Nbd.CMD_READ, 0, offset, into.byteSize()), into, null);
    }

    void write(MemorySegment data, long offset, int nbdFlags) {
        run(new Request(nbdFlags, Nbd.CMD_WRITE, 0, offset, data.byteSize()), null, data);
    }

    /** A command without payload (FLUSH, TRIM, CACHE, WRITE_ZEROES). */
    void command(int type, int nbdFlags, long offset, long length) {
        run(new Request(nbdFlags, type, 0, offset, length), null, null);
    }

    /** BLOCK_STATUS for base:allocation: the extents, in order, to {@code sink}. */
    void blockStatus(int nbdFlags, long offset, long length, ExtentSink sink) {
        Pending p = run(new Request(nbdFlags, Nbd.CMD_BLOCK_STATUS, 0, offset, length), null, null);
        long at = offset;
        for (long[] e : p.extents) {
            if (e[0] == 0) continue;
            sink.add(at, e[0], (int) e[1]);
            at += e[0];
        }
        if (at == offset) throw new PluginException(Errno.EIO, "the NBD server sent no extents for block status at " + offset);
    }

    private Pending run(Request template, MemorySegment dest, MemorySegment payload) {
        long cookie = cookies.incrementAndGet();
        Request r = new Request(template.flags(), template.type(), cookie, template.offset(), template.length());
        Pending p = new Pending(r, dest);
        pending.put(cookie, p);
        if (dead != null) {
            pending.remove(cookie);
            throw lost();
        }
        ByteBuffer header = ByteBuffer.allocate(Nbd.REQUEST_SIZE);
        RequestDecoder.encode(header, r, false);
        header.flip();
        writeLock.lock();
        try {
            if (payload == null) wire.write(header); else wire.write(header, payload.asByteBuffer());
        } catch (IOException e) {
            markDead("sending " + Nbd.commandName(r.type()) + ": " + e.getMessage());
        } finally {
            writeLock.unlock();
        }
        awaitUninterruptibly(p.done);
        if (p.error != 0) {
            throw new PluginException(errno(p.error), p.message != null ? p.message
                    : Nbd.commandName(r.type()) + " failed on the NBD server (error " + p.error + ")");
        }
        return p;
    }

    private PluginException lost() {
        return new PluginException(Errno.EIO, "the connection to the NBD server " + server + " is lost: " + dead);
    }

    /** NBD error numbers are Linux errno values; anything outside the protocol's list is EIO. */
    static int errno(int nbdError) {
        return switch (nbdError) {
            case Nbd.EPERM, Nbd.EIO, Nbd.ENOMEM, Nbd.EINVAL, Nbd.ENOSPC, Nbd.EOVERFLOW, Nbd.ENOTSUP, Nbd.ESHUTDOWN -> nbdError;
            default -> Errno.EIO;
        };
    }

    private static void awaitUninterruptibly(CountDownLatch latch) {
        boolean interrupted = false;
        while (true) {
            try {
                latch.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
    }

    // ---- replies -----------------------------------------------------------------------------

    private void readLoop() {
        try {
            while (true) readOne();
        } catch (IOException | ProtocolException | IllegalStateException e) {
            markDead(e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName());
        }
    }

    private void readOne() throws IOException {
        int magic = wire.readFully(4).getInt();
        ByteBuffer hb = ByteBuffer.allocate(ReplyDecoder.headerSize(magic));
        hb.putInt(magic);
        wire.readFully(hb);
        ReplyHeader h = ReplyDecoder.reply(hb.flip());
        Pending p = pending.get(h.cookie());
        if (p == null) throw new IllegalStateException("reply with an unknown cookie " + Long.toUnsignedString(h.cookie()));
        Request r = p.request;
        if (h.simple()) {
            if (h.error() != 0) p.fail(h.error(), null);
            else if (r.type() == Nbd.CMD_READ) wire.readFully(p.dest.asByteBuffer());
        } else {
            if (magic != Nbd.STRUCTURED_REPLY_MAGIC || !n.structured()) throw new IllegalStateException("unexpected reply style");
            chunk(p, h);
        }
        if (h.done()) {
            pending.remove(h.cookie());
            p.done.countDown();
        }
    }

    private void chunk(Pending p, ReplyHeader h) throws IOException {
        Request r = p.request;
        long len = h.length();
        switch (h.type()) {
            case Nbd.REPLY_TYPE_NONE -> {
                if (len != 0) throw new IllegalStateException("NONE chunk with a payload");
            }
            case Nbd.REPLY_TYPE_OFFSET_DATA -> {
                if (r.type() != Nbd.CMD_READ || len < 8) throw new IllegalStateException("unexpected OFFSET_DATA chunk");
                long off = wire.readFully(8).getLong();
                long dataLen = len - 8;
                checkInside(r, off, dataLen);
                wire.readFully(p.dest.asSlice(off - r.offset(), dataLen).asByteBuffer());
            }
            case Nbd.REPLY_TYPE_OFFSET_HOLE -> {
                if (r.type() != Nbd.CMD_READ || len != 12) throw new IllegalStateException("unexpected OFFSET_HOLE chunk");
                ByteBuffer b = wire.readFully(12);
                long off = b.getLong();
                long holeLen = Integer.toUnsignedLong(b.getInt());
                checkInside(r, off, holeLen);
                p.dest.asSlice(off - r.offset(), holeLen).fill((byte) 0);
            }
            case Nbd.REPLY_TYPE_BLOCK_STATUS -> {
                if (r.type() != Nbd.CMD_BLOCK_STATUS || len < 4 || len > MAX_CHUNK || (len - 4) % 8 != 0) {
                    throw new IllegalStateException("unexpected BLOCK_STATUS chunk");
                }
                ByteBuffer b = wire.readFully((int) len);
                long id = Integer.toUnsignedLong(b.getInt());
                if (id != n.baseAllocationId()) return; // another context: not asked for
                while (b.hasRemaining()) {
                    p.extents.add(new long[] {Integer.toUnsignedLong(b.getInt()), Integer.toUnsignedLong(b.getInt())});
                }
            }
            default -> {
                if (len > MAX_CHUNK) throw new IllegalStateException("implausible chunk length " + len);
                ByteBuffer b = wire.readFully((int) len);
                if (!h.errorChunk()) return; // an unknown informational chunk: skipped, as the spec allows
                if (len < 6) throw new IllegalStateException("short error chunk");
                int err = b.getInt();
                int msgLen = Short.toUnsignedInt(b.getShort());
                String msg = null;
                if (msgLen > 0 && msgLen <= b.remaining()) {
                    byte[] m = new byte[msgLen];
                    b.get(m);
                    msg = new String(m, java.nio.charset.StandardCharsets.UTF_8);
                }
                p.fail(err == 0 ? Nbd.EIO : err, msg == null ? null : "the NBD server: " + msg);
            }
        }
    }

    private static void checkInside(Request r, long off, long len) {
        if (off < r.offset() || len < 0 || off - r.offset() > r.length() - len) {
            throw new IllegalStateException("reply chunk outside of the request");
        }
    }

    private void markDead(String reason) {
        synchronized (this) {
            if (dead != null) return;
            dead = reason;
        }
        if (!closing) Nbdkit.error("nbd: lost the connection to the NBD server " + server + ": " + reason);
        wire.close();
        for (Pending p : pending.values()) {
            p.fail(Nbd.EIO, "the connection to the NBD server " + server + " is lost: " + reason);
            p.done.countDown();
        }
        pending.clear();
    }

    /** NBD_CMD_DISC, then the connection is closed and the reader ends. */
    @Override
    public void close() {
        closing = true;
        if (dead == null) {
            ByteBuffer header = ByteBuffer.allocate(Nbd.REQUEST_SIZE);
            RequestDecoder.encode(header, new Request(0, Nbd.CMD_DISC, cookies.incrementAndGet(), 0, 0), false);
            writeLock.lock();
            try {
                wire.write(header.flip());
            } catch (IOException ignored) {
                // the server is gone already
            } finally {
                writeLock.unlock();
            }
        }
        try {
            reader.join(TimeUnit.SECONDS.toMillis(2)); // the server closes after DISC
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        markDead("closed");
        wire.close();
    }
}
