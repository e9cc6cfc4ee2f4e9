package dev.jnbdkit.cli;

import dev.jnbdkit.posix.ProcessCalls;

import java.io.IOException;

/**
 * For {@code -s}: the client is on stdin/stdout. Move the connection to fresh descriptors and
 * point descriptor 1 at stderr (and 0 at /dev/null) before any plugin code runs, so nothing a
 * plugin prints, even at load time, reaches the protocol stream.
 */
final class Stdio {
    private Stdio() {}

    /** Returns {in, out} descriptors of the connection. */
    static int[] takeConnection() throws IOException {
        System.out.flush();
        int in = ProcessCalls.dup(0);
        int out = ProcessCalls.dup(1);
        ProcessCalls.dup2(2, 1);
        int devnull = ProcessCalls.open("/dev/null", ProcessCalls.O_RDWR, 0);
        ProcessCalls.dup2(devnull, 0);
        ProcessCalls.close(devnull);
        return new int[] {in, out};
    }
}
