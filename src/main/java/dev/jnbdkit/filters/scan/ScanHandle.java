package dev.jnbdkit.filters.scan;

import dev.jnbdkit.log.Log;
import dev.jnbdkit.spi.CacheMode;
import dev.jnbdkit.spi.FilterHandle;
import dev.jnbdkit.spi.IoBuffer;
import dev.jnbdkit.spi.Next;

/**
 * One connection through the scan filter: {@link #prepare} decides whether this connection can
 * scan (nbdkit's three warnings otherwise) and starts its {@link Scanner}; each read tells the
 * scanner where the client got to; {@link #finalize} stops the scanner (after the prefetch in
 * flight) before the next layer is finalized.
 */
final class ScanHandle implements FilterHandle {
    private final ScanFilter filter;
    private final boolean defaultExport;
    private volatile Scanner scanner;

    ScanHandle(ScanFilter filter, boolean defaultExport) {
        this.filter = filter;
        this.defaultExport = defaultExport;
    }

    @Override
    public void prepare(Next next, boolean readonly) {
        if (!defaultExport) {
            Log.error("scan: warning: not the default export, not scanning");
            return;
        }
        if (!filter.parallel()) {
            Log.error("scan: warning: underlying plugin does not support the PARALLEL thread model, not scanning");
            return;
        }
        if (next.canCache() != CacheMode.NATIVE) {
            Log.error("scan: warning: underlying plugin does not support NBD_CMD_CACHE, not scanning; "
                    + "try adding --filter=cache after this filter");
            return;
        }
        Scanner s = new Scanner(filter, next);
        s.start();
        scanner = s;
    }

    @Override
    public void pread(Next next, IoBuffer buf, long offset, int flags) {
        Scanner s = scanner;
        if (s != null && filter.ahead()) s.clientRead(offset + buf.length());
        next.pread(buf, offset, flags);
    }

    @Override
    public void finalize(Next next) {
        Scanner s = scanner;
        scanner = null;
        if (s != null) s.stop();
    }

    @Override
    public void close() {
        Scanner s = scanner;
        scanner = null;
        if (s != null) s.stop();
    }
}
