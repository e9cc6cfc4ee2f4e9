package dev.jnbdkit.spi;

/**
 * One connection as {@link Filter#open} sees it (nbdkit's {@code nbdkit_context} with the
 * {@code next_open} function): how the filter opens the next layer for this connection, and how it
 * swaps that context for another (as a retrying filter does). Valid until the filter's handle is
 * closed.
 */
public interface FilterContext {
    /**
     * Opens the next layer for this connection and makes it the {@link Next} every later callback
     * receives; the server prepares, finalizes and closes it. A filter that wants the plugin must
     * call this once, normally first, with the read-only flag and export name it was given (or a
     * read-only flag of its own: a writable layer over a read-only one).
     */
    Next open(boolean readonly, String exportName);

    /** The layers below, for manual contexts (nbdkit_context_get_backend). */
    NextBackend backend();

    /**
     * Makes {@code next} (a context from {@link NextBackend#openContext}, already prepared, or
     * null) the one later callbacks receive and the server finalizes and closes; returns the
     * previous one, which is now the filter's to finalize and close (nbdkit_context_set_next).
     */
    Next setNext(Next next);
}
