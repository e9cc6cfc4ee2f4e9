package dev.jnbdkit.spi;

/**
 * A callback failed. {@link #errno()} is what the plugin would have passed to nbdkit_set_error
 * (EIO when it set none); the server maps it to an NBD error for the client and logs the message.
 */
public class PluginException extends RuntimeException {
    private final int errno;

    public PluginException(int errno, String message) {
        super(message);
        this.errno = errno;
    }

    public PluginException(int errno, String message, Throwable cause) {
        super(message, cause);
        this.errno = errno;
    }

    public PluginException(String message) { this(Errno.EIO, message); }

    public int errno() { return errno; }
}
