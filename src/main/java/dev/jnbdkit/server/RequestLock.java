package dev.jnbdkit.server;

import dev.jnbdkit.spi.ThreadModel;

import java.util.concurrent.locks.ReentrantLock;

/**
 * The thread model's request lock (nbdkit's lock_request): under SERIALIZE_ALL_REQUESTS (and
 * SERIALIZE_CONNECTIONS) one request at a time across the server, taken once per NBD request
 * around everything the request does in the stack of layers (emulations included) and around the
 * handshake's calls into the stack; never around socket I/O, so a client that stops reading
 * cannot stall the others. Looser models need no lock here: SERIALIZE_REQUESTS runs one request
 * at a time per connection by having one worker.
 */
final class RequestLock {
    private final ReentrantLock lock;

    RequestLock(ThreadModel model) {
        this.lock = model.value <= ThreadModel.SERIALIZE_ALL_REQUESTS.value ? new ReentrantLock() : null;
    }

    void lock() {
        if (lock != null) lock.lock();
    }

    void unlock() {
        if (lock != null) lock.unlock();
    }
}
