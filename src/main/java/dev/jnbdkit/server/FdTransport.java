package dev.jnbdkit.server;

import dev.jnbdkit.posix.ProcessCalls;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;

/**
 * The {@code -s} connection: raw descriptors (stdin and stdout moved elsewhere first, so that
 * nothing a plugin prints reaches the client). Works for sockets and for pipes.
 */
final class FdTransport implements Transport {
    private final int in;
    private final int out;
    private final MemorySegment staging = Arena.ofAuto().allocate(64 * 1024);
    /** Native copy of heap buffers (reply headers) for write(2); writes are serialized by the reply writer. */
    private final MemorySegment writeStaging = Arena.ofAuto().allocate(64 * 1024);
    private volatile boolean inputShut;
    /**
     * A pipe cannot be shut down to wake a blocked read(2), so on a pipe reads first wait in
     * poll(2) with a timeout and give up once input is shut (SIGTERM must end the server).
     */
    private final boolean pipe;
    private static final int POLL_MILLIS = 250;

    FdTransport(int in, int out) {
        this.in = in;
        this.out = out;
        this.pipe = !isSocket(in);
    }

    /** The descriptor the client's requests arrive on (peer credentials: see ConnectionState). */
    int inputFd() { return in; }

    private static boolean isSocket(int fd) {
        try {
            return java.nio.file.Files.readSymbolicLink(java.nio.file.Path.of("/proc/self/fd/" + fd))
                    .toString().startsWith("socket:");
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        if (pipe) {
            while (!inputShut && !ProcessCalls.pollIn(in, POLL_MILLIS)) {
                // wait for data, checking for shutdown between waits
            }
        }
        if (inputShut) return -1;
        int want = dst.remaining();
        if (want == 0) return 0;
        long n;
        if (dst.isDirect()) {
            n = ProcessCalls.read(in, MemorySegment.ofBuffer(dst), want);
            if (n > 0) dst.position(dst.position() + (int) n);
        } else {
            synchronized (staging) {
                int chunk = (int) Math.min(want, staging.byteSize());
                n = ProcessCalls.read(in, staging, chunk);
                if (n > 0) dst.put(staging.asSlice(0, n).asByteBuffer());
            }
        }
        return n == 0 ? -1 : (int) n;
    }

    @Override
    public void writeFully(ByteBuffer... srcs) throws IOException {
        for (ByteBuffer b : srcs) {
            while (b.hasRemaining()) {
                long n;
                if (b.isDirect()) {
                    n = ProcessCalls.write(out, MemorySegment.ofBuffer(b), b.remaining());
                } else {
                    synchronized (writeStaging) {
                        long len = Math.min(b.remaining(), writeStaging.byteSize());
                        MemorySegment.copy(MemorySegment.ofBuffer(b), 0, writeStaging, 0, len);
                        n = ProcessCalls.write(out, writeStaging, len);
                    }
                }
                b.position(b.position() + (int) n);
            }
        }
    }

    @Override
    public void shutdownInput() {
        inputShut = true;
        try {
            ProcessCalls.shutdown(in, 0);
        } catch (IOException ignored) {
            // a pipe, not a socket: the flag above stops further reads
        }
    }

    @Override public String peer() { return "stdin/stdout"; }

    @Override
    public void close() throws IOException {
        try {
            ProcessCalls.close(in);
        } finally {
            if (out != in) ProcessCalls.close(out);
        }
    }
}
