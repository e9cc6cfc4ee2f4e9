package dev.jnbdkit.server;

/**
 * A request failed with an NBD error code (already mapped from the plugin's errno) and a message
 * for the log and, with structured replies, for the client.
 */
public final class NbdError extends RuntimeException {
    private final int code;

    public NbdError(int code, String message) {
        super(message, null, false, false);
        this.code = code;
    }

    public int code() { return code; }
}
