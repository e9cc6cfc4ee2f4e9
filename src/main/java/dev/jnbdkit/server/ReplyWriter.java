package dev.jnbdkit.server;

import dev.jnbdkit.log.Log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Sends a connection's replies. A worker queues its reply and leaves; whichever worker holds the
 * write lock sends everything queued in one gathering write. No worker waits behind another's
 * write (with many workers on few cores, a blocking write lock made finished requests queue
 * behind a descheduled writer), and replies leave whole, in any order (cookies match them).
 */
final class ReplyWriter {
    /** Most replies sent in one gathering write. */
    private static final int BATCH = 64;

    /** One reply: its parts in order, and what to do once they are sent (or dropped). */
    record Reply(ByteBuffer[] parts, Runnable onSent) {
        void done() {
            if (onSent != null) onSent.run();
        }
    }

    private final Transport t;
    private final ConcurrentLinkedQueue<Reply> outbox = new ConcurrentLinkedQueue<>();
    private final ReentrantLock lock = new ReentrantLock();
    private final List<ByteBuffer> gather = new ArrayList<>();
    private final List<Reply> batch = new ArrayList<>(BATCH);
    private volatile boolean failed;

    ReplyWriter(Transport t) { this.t = t; }

    /** True once a write failed: the client is gone and further replies are dropped. */
    boolean failed() { return failed; }

    void send(ByteBuffer[] parts, Runnable onSent) {
        if (failed) {
            if (onSent != null) onSent.run();
            return;
        }
        outbox.add(new Reply(parts, onSent));
        // Whoever holds the lock drains the queue; re-check after unlocking so that a reply
        // queued while the holder was writing is never left behind.
        while (!outbox.isEmpty() && lock.tryLock()) {
            try {
                drain();
            } finally {
                lock.unlock();
            }
        }
    }

    private void drain() {
        Reply r;
        while ((r = outbox.poll()) != null) {
            batch.add(r);
            for (ByteBuffer b : r.parts()) gather.add(b);
            while (batch.size() < BATCH && (r = outbox.poll()) != null) {
                batch.add(r);
                for (ByteBuffer b : r.parts()) gather.add(b);
            }
            try {
                if (!failed) t.writeFully(gather.toArray(ByteBuffer[]::new));
            } catch (IOException e) {
                if (!failed) Log.debug("write failed, client gone: " + e.getMessage());
                failed = true;
                t.abort();
            } finally {
                for (Reply done : batch) done.done();
                batch.clear();
                gather.clear();
            }
        }
    }
}
