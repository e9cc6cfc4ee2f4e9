package dev.jnbdkit.filters.retry;

/**
 * The retry filter's parameters, fixed once configuration is complete.
 *
 * @param retries      how often one request may reopen the plugin before it fails
 * @param initialDelay seconds to wait before the first reopen
 * @param exponential  double the wait after each reopen
 * @param readonly     reopen the plugin read-only after the first failure
 */
record RetrySettings(long retries, long initialDelay, boolean exponential, boolean readonly) {
    static final RetrySettings DEFAULT = new RetrySettings(5, 2, true, false);
}
