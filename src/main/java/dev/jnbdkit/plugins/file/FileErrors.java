package dev.jnbdkit.plugins.file;

import dev.jnbdkit.posix.FileCalls;
import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.PluginException;

/** A failed libc call as the plugin reports it: the errno for the client, nbdkit's {@code call: message}. */
final class FileErrors {
    private FileErrors() {}

    static PluginException error(String call, int errno) {
        return new PluginException(errno == 0 ? Errno.EIO : errno, call + ": " + FileCalls.strerror(errno));
    }

    /** {@link #error} with the current thread's errno from the last {@link FileCalls} call. */
    static PluginException lastError(String call) { return error(call, FileCalls.errno()); }
}
