package dev.jnbdkit.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Who sends a reply: small ones are left to the lock holder, large ones go out on their own thread. */
@Timeout(60)
class ReplyWriterTest {
    /** Records each write as "thread:bytes"; the first write waits until {@link #release} opens. */
    private static final class GatedTransport implements Transport {
        final CountDownLatch firstWriteStarted = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final List<String> writes = Collections.synchronizedList(new ArrayList<>());

        @Override
        public void writeFully(ByteBuffer... srcs) {
            long n = 0;
            for (ByteBuffer b : srcs) {
                n += b.remaining();
                b.position(b.limit());
            }
            writes.add(Thread.currentThread().getName() + ":" + n);
            if (firstWriteStarted.getCount() > 0) {
                firstWriteStarted.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }

        @Override public int read(ByteBuffer dst) { return -1; }
        @Override public void shutdownInput() { }
        @Override public String peer() { return "test"; }
        @Override public void close() { }
    }

    private final GatedTransport t = new GatedTransport();
    private final ReplyWriter w = new ReplyWriter(t);
    /** Counts the two replies each test sends down as they are done. */
    private final CountDownLatch sent = new CountDownLatch(2);

    private Thread sender(String name, int bytes) {
        Thread th = Thread.ofPlatform().name(name).unstarted(
                () -> w.send(new ByteBuffer[] {ByteBuffer.allocate(bytes)}, sent::countDown));
        th.start();
        return th;
    }

    /** A worker that sends a 100-byte reply and stays in its write, holding the lock, until released. */
    private Thread holderInsideItsWrite() throws InterruptedException {
        Thread holder = sender("holder", 100);
        assertTrue(t.firstWriteStarted.await(10, TimeUnit.SECONDS));
        return holder;
    }

    @Test
    void smallReplyIsQueuedForTheWorkerThatIsWriting() throws Exception {
        Thread holder = holderInsideItsWrite();

        Thread small = sender("small", 200);
        small.join(10_000);
        assertFalse(small.isAlive(), "a small reply must not wait for another worker's write");
        assertEquals(List.of("holder:100"), t.writes);

        t.release.countDown();
        holder.join();
        assertTrue(sent.await(10, TimeUnit.SECONDS));
        assertEquals(List.of("holder:100", "holder:200"), t.writes);
    }

    @Test
    void largeReplyIsSentByItsOwnWorker() throws Exception {
        Thread holder = holderInsideItsWrite();

        int large = (int) ReplyWriter.DIRECT_BYTES;
        Thread big = sender("big", large);
        big.join(300);
        assertTrue(big.isAlive(), "a large reply waits for the write lock instead of being queued");

        t.release.countDown();
        big.join();
        holder.join();
        assertTrue(sent.await(10, TimeUnit.SECONDS));
        assertEquals(List.of("holder:100", "big:" + large), t.writes);
    }
}
