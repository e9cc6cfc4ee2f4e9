package dev.jnbdkit.filters.gzip;

import dev.jnbdkit.filters.common.TempStore;
import dev.jnbdkit.log.Log;
import dev.jnbdkit.spi.CacheMode;
import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.Filter;
import dev.jnbdkit.spi.FilterContext;
import dev.jnbdkit.spi.FilterHandle;
import dev.jnbdkit.spi.IoBuffer;
import dev.jnbdkit.spi.Next;
import dev.jnbdkit.spi.NextBackend;
import dev.jnbdkit.spi.OpenContext;
import dev.jnbdkit.spi.PluginException;

import java.lang.foreign.MemorySegment;

/**
 * nbdkit-gzip-filter: serves the uncompressed contents of a gzip file, read-only. gzip cannot be
 * read from the middle, so the first connection decompresses the whole file ({@link GzipStream})
 * into an unlinked temporary file in {@code $TMPDIR} (default /var/tmp), which every connection
 * then reads; the next layer is opened read-only and never written.
 */
public final class GzipFilter implements Filter {
    private final Object lock = new Object();
    /** The uncompressed contents, once the first connection made them; then never changed. */
    private volatile Expanded expanded;

    /** The temporary file, its size, and the size of the compressed file it came from. */
    private record Expanded(TempStore store, long size, long compressedSize) {}

    @Override public String name() { return "gzip"; }

    @Override public String longname() { return "nbdkit gzip filter"; }

    @Override
    public void unload() {
        Expanded e = expanded;
        if (e != null) e.store().close();
    }

    @Override
    public FilterHandle open(FilterContext context, OpenContext request) {
        context.open(true, request.exportName()); // the compressed file is only ever read
        return new Reader();
    }

    private Expanded expand(Next next) {
        Expanded e = expanded;
        if (e != null) return e;
        synchronized (lock) {
            if (expanded != null) return expanded;
            long compressed = next.getSize();
            TempStore store = TempStore.create("gzip");
            long size;
            try {
                size = GzipStream.decompress(new GzipStream.Input() {
                    @Override public long size() { return compressed; }

                    @Override
                    public void read(MemorySegment dst, long offset) {
                        next.pread(new Segment(dst), offset, 0);
                    }
                }, store::write);
            } catch (GzipStream.GzipException ex) {
                store.close();
                throw new PluginException(Errno.EIO, "gzip: inflate: " + ex.getMessage());
            } catch (RuntimeException ex) {
                store.close();
                throw ex;
            }
            Log.debug("gzip: uncompressed size: " + size);
            expanded = new Expanded(store, size, compressed);
            return expanded;
        }
    }

    /** One connection: reads of the temporary file. */
    private final class Reader implements FilterHandle {
        private Expanded e;

        @Override
        public void prepare(Next next, boolean readonly) { e = expand(next); }

        @Override
        public long getSize(Next next) {
            if (next.getSize() != e.compressedSize()) {
                throw new PluginException(Errno.EIO, "plugin size changed unexpectedly: you must restart nbdkit "
                        + "so the gzip filter can uncompress the data again");
            }
            return e.size();
        }

        @Override
        public String exportDescription(Next next) {
            String base = next.exportDescription();
            return base == null ? null : "expansion of gzip-compressed image: " + base;
        }

        @Override public boolean canWrite(Next next) { return false; }

        @Override public boolean canExtents(Next next) { return false; }

        @Override public CacheMode canCache(Next next) { return CacheMode.EMULATE; }

        @Override
        public void pread(Next next, IoBuffer buf, long offset, int flags) {
            e.store().read(buf.segment(), offset);
        }
    }

    /** A filter's own memory as a request buffer for the next layer. */
    private record Segment(MemorySegment segment) implements IoBuffer {
        @Override public void retain() {}

        @Override public void release() {}
    }
}
