package dev.jnbdkit.plugins.ssh;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;

/**
 * What the SSH server sends on the SFTP channel, handed from JSch's session thread (which writes
 * it to {@link #sink}) to whichever thread serves the connection's next request (which reads
 * {@link #source}). JSch's own {@code getInputStream} is a {@link java.io.PipedInputStream},
 * which breaks ("Read end dead") once the last thread that read from it has ended: requests of
 * one connection are served by different threads, so that pipe cannot be used here.
 *
 * <p>Bounded: when {@link #CAPACITY} bytes are waiting, the session thread waits (and with it the
 * SSH window), so a server can never make us buffer without limit.
 */
final class ChannelInput {
    static final int CAPACITY = 1 << 20;   // twice what Sftp keeps in flight

    private final byte[] ring = new byte[CAPACITY];
    private int head;     // next byte to read
    private int count;    // bytes waiting
    private boolean closed;

    final OutputStream sink = new OutputStream() {
        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            synchronized (ChannelInput.this) {
                while (len > 0) {
                    while (count == CAPACITY && !closed) waitInterruptibly();
                    if (closed) throw new IOException("SFTP channel input closed");
                    int tail = (head + count) % CAPACITY;
                    int n = Math.min(len, Math.min(CAPACITY - count, CAPACITY - tail));
                    System.arraycopy(b, off, ring, tail, n);
                    count += n;
                    off += n;
                    len -= n;
                    ChannelInput.this.notifyAll();
                }
            }
        }

        @Override
        public void close() { ChannelInput.this.close(); }
    };

    final InputStream source = new InputStream() {
        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) return 0;
            synchronized (ChannelInput.this) {
                while (count == 0 && !closed) waitInterruptibly();
                if (count == 0) return -1;
                int n = Math.min(len, Math.min(count, CAPACITY - head));
                System.arraycopy(ring, head, b, off, n);
                head = (head + n) % CAPACITY;
                count -= n;
                ChannelInput.this.notifyAll();
                return n;
            }
        }

        @Override
        public void close() { ChannelInput.this.close(); }
    };

    /** The channel ended: readers see the end once the bytes already here are read. */
    synchronized void close() {
        closed = true;
        notifyAll();
    }

    private void waitInterruptibly() throws InterruptedIOException {
        try {
            wait();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for the SFTP channel");
        }
    }
}
