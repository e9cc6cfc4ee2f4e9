package dev.jnbdkit.filters.retry;

import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.Filter;
import dev.jnbdkit.spi.FilterContext;
import dev.jnbdkit.spi.FilterHandle;
import dev.jnbdkit.spi.NextBackend;
import dev.jnbdkit.spi.Numbers;
import dev.jnbdkit.spi.OpenContext;
import dev.jnbdkit.spi.PluginException;
import dev.jnbdkit.spi.Sizes;
import dev.jnbdkit.spi.ThreadModel;

/**
 * nbdkit-retry-filter: when a request fails, close the plugin's connection, wait, open a new one
 * (a manual context of the next layer) and try the request again, up to {@code retries} times
 * with a delay that doubles by default (a failing first open fails the connection, as in
 * nbdkit 1.32; reopens are retried). Requests of one
 * connection are serialized (nbdkit's retry filter declares serialize_requests), so a reopen
 * never races another request of the same connection.
 */
public final class RetryFilter implements Filter {
    private long retries = RetrySettings.DEFAULT.retries();
    private long delay = RetrySettings.DEFAULT.initialDelay();
    private boolean exponential = RetrySettings.DEFAULT.exponential();
    private boolean readonly = RetrySettings.DEFAULT.readonly();
    private volatile RetrySettings settings = RetrySettings.DEFAULT;

    @Override public String name() { return "retry"; }

    @Override public String longname() { return "nbdkit retry filter"; }

    @Override
    public String configHelp() {
        return """
                retries=<N>              Number of retries (default: 5).
                retry-delay=<N>          Seconds to wait before retry (default: 2).
                retry-exponential=yes|no Exponential back-off (default: yes).
                retry-readonly=yes|no    Force read-only on failure (default: no).""";
    }

    @Override
    public void config(NextBackend next, String key, String value) {
        switch (key) {
            case "retries" -> retries = Numbers.parseUnsigned("retries", value);
            case "retry-delay" -> {
                delay = Numbers.parseUnsigned("retry-delay", value);
                if (delay == 0) throw new PluginException(Errno.EINVAL, "retry-delay cannot be 0");
            }
            case "retry-exponential" -> exponential = Sizes.parseBool(value);
            case "retry-readonly" -> readonly = Sizes.parseBool(value);
            default -> next.config(key, value);
        }
    }

    @Override
    public void configComplete(NextBackend next) {
        settings = new RetrySettings(retries, delay, exponential, readonly);
        next.configComplete();
    }

    @Override public ThreadModel threadModel() { return ThreadModel.SERIALIZE_REQUESTS; }

    @Override
    public FilterHandle open(FilterContext context, OpenContext request) {
        return RetryHandle.open(settings, context, request.readonly(), request.exportName());
    }
}
