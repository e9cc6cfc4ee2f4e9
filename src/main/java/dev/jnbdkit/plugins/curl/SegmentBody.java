package dev.jnbdkit.plugins.curl;

import java.lang.foreign.MemorySegment;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;

/**
 * A response body written straight into the request's buffer as the network delivers it (no
 * intermediate array). The body is the number of bytes written, or -1 if the server sent more
 * than fits. {@link #close} cuts it off: once the read has given up (a timeout), the buffer
 * belongs to the server again and no late data may land in it.
 */
final class SegmentBody implements HttpResponse.BodySubscriber<Long> {
    private final MemorySegment target;
    private final CompletableFuture<Long> result = new CompletableFuture<>();
    private Flow.Subscription subscription;
    private long filled;
    private boolean closed;

    SegmentBody(MemorySegment target) { this.target = target; }

    @Override
    public void onSubscribe(Flow.Subscription s) {
        synchronized (this) {
            if (closed) {
                s.cancel();
                return;
            }
            subscription = s;
        }
        s.request(Long.MAX_VALUE);
    }

    @Override
    public synchronized void onNext(List<ByteBuffer> items) {
        if (closed) return;
        for (ByteBuffer b : items) {
            int n = b.remaining();
            if (n == 0) continue;
            if (filled + n > target.byteSize()) {
                closed = true;
                subscription.cancel();
                result.complete(-1L);
                return;
            }
            MemorySegment.copy(MemorySegment.ofBuffer(b), 0, target, filled, n);
            filled += n;
        }
    }

    @Override
    public void onError(Throwable t) { result.completeExceptionally(t); }

    @Override
    public synchronized void onComplete() { result.complete(closed ? -1L : filled); }

    @Override
    public CompletionStage<Long> getBody() { return result; }

    synchronized void close() {
        closed = true;
        if (subscription != null) subscription.cancel();
    }
}
