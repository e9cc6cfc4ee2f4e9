package dev.jnbdkit.filters.rate;

import dev.jnbdkit.filters.FilterArgs;
import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.Filter;
import dev.jnbdkit.spi.FilterContext;
import dev.jnbdkit.spi.FilterHandle;
import dev.jnbdkit.spi.IoBuffer;
import dev.jnbdkit.spi.Next;
import dev.jnbdkit.spi.NextBackend;
import dev.jnbdkit.spi.OpenContext;
import dev.jnbdkit.spi.PluginException;
import dev.jnbdkit.spi.Sizes;

/**
 * nbdkit-rate-filter: limits read and write bandwidth (separately) for the whole server
 * ({@code rate}) and per connection ({@code connection-rate}), in bits per second, with token
 * buckets of {@code burstiness} seconds; {@code rate-file}s change the rates while it runs. Zero,
 * trim and the like move no data and are free.
 */
public final class RateFilter implements Filter {
    private long rate, connectionRate;
    private String rateFile, connectionRateFile;
    private double burstiness = 2.0;
    private Bucket readBucket, writeBucket;
    private RateFile globalFile;

    @Override public String name() { return "rate"; }

    @Override public String longname() { return "nbdkit rate filter"; }

    @Override
    public String configHelp() {
        return "rate=BITSPERSEC                Limit total bandwidth.\n"
                + "connection-rate=BITSPERSEC     Limit per-connection bandwidth.\n"
                + "rate-file=FILENAME             Dynamically adjust total bandwidth.\n"
                + "connection-rate-file=FILENAME  Dynamically adjust per-connection bandwidth.\n"
                + "burstiness=SECS                Bucket capacity in seconds (default 2.0).";
    }

    private static long parseRate(String key, String value) {
        long r = Sizes.parse(value);
        if (r == 0) throw FilterArgs.bad(key + " cannot be set to 0");
        return r;
    }

    @Override
    public void config(NextBackend next, String key, String value) {
        switch (key) {
            case "rate" -> rate = parseRate(key, value);
            case "connection-rate" -> connectionRate = parseRate(key, value);
            case "rate-file" -> rateFile = value;
            case "connection-rate-file" -> connectionRateFile = value;
            case "burstiness" -> {
                try {
                    burstiness = Double.parseDouble(value);
                } catch (NumberFormatException e) {
                    throw FilterArgs.bad("burstiness must be a floating point number (seconds)");
                }
                if (!(burstiness >= 0) || Double.isInfinite(burstiness)) {
                    throw FilterArgs.bad("burstiness must be a floating point number (seconds)");
                }
            }
            default -> next.config(key, value);
        }
    }

    @Override
    public void configComplete(NextBackend next) {
        readBucket = new Bucket(rate, burstiness);
        writeBucket = new Bucket(rate, burstiness);
        if (rateFile != null) globalFile = new RateFile(rateFile);
        next.configComplete();
    }

    @Override
    public FilterHandle open(FilterContext context, OpenContext request) {
        context.open(request.readonly(), request.exportName());
        return new Limited();
    }

    private static void consume(Bucket b, long bytes) {
        try {
            b.consume(bytes * 8);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PluginException(Errno.ESHUTDOWN, "rate: interrupted: the server is shutting down");
        }
    }

    /** One connection's own buckets (and rate file). */
    private final class Limited implements FilterHandle {
        private final Bucket read = new Bucket(connectionRate, burstiness);
        private final Bucket write = new Bucket(connectionRate, burstiness);
        private final RateFile file = connectionRateFile == null ? null : new RateFile(connectionRateFile);

        private void adjust() {
            if (globalFile != null) {
                long r = globalFile.poll();
                if (r > 0) {
                    readBucket.setRate(r);
                    writeBucket.setRate(r);
                }
            }
            if (file != null) {
                long r = file.poll();
                if (r > 0) {
                    read.setRate(r);
                    write.setRate(r);
                }
            }
        }

        @Override
        public void pread(Next next, IoBuffer buf, long offset, int flags) {
            adjust();
            consume(readBucket, buf.length());
            consume(read, buf.length());
            next.pread(buf, offset, flags);
        }

        @Override
        public void pwrite(Next next, IoBuffer buf, long offset, int flags) {
            adjust();
            consume(writeBucket, buf.length());
            consume(write, buf.length());
            next.pwrite(buf, offset, flags);
        }
    }
}
