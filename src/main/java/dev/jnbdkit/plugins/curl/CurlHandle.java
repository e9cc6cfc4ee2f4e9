package dev.jnbdkit.plugins.curl;

import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.Handle;
import dev.jnbdkit.spi.IoBuffer;
import dev.jnbdkit.spi.PluginException;

import java.lang.foreign.MemorySegment;
import java.net.http.HttpHeaders;
import java.util.Map;
import java.util.OptionalLong;

/**
 * One NBD connection to the URL. Opening it asks the web server for the size (HEAD, as nbdkit;
 * where HEAD fails or lacks what is needed, a GET of byte 0 whose 206 reply names the total
 * size); a server that cannot serve byte ranges is refused. Reads are {@code Range} GETs whose
 * bodies land in the request's buffer; writes are PUTs of the range with a
 * {@code Content-Range: bytes FIRST-LAST/*} header.
 */
final class CurlHandle implements Handle {
    private static final String NO_RANGES = "server does not support 'range' (byte range) requests";

    private final HttpSession session;
    private final long size;
    private final boolean readonly;

    private CurlHandle(HttpSession session, long size, boolean readonly) {
        this.session = session;
        this.size = size;
        this.readonly = readonly;
    }

    static CurlHandle open(HttpSession session, boolean readonly) {
        long size = fetchSize(session);
        CurlPlugin.debug("content length: " + size);
        return new CurlHandle(session, size, readonly);
    }

    private static long fetchSize(HttpSession session) {
        String url = session.url();
        String what = "problem doing HEAD request to fetch size of URL [" + url + "]";
        PluginException headFailure;
        try {
            Reply r = session.send(what, "HEAD", Map.of(), null, null);
            OptionalLong length = r.headers().firstValueAsLong("content-length");
            if (length.isPresent() && acceptsRanges(r.headers())) return length.getAsLong();
            headFailure = length.isEmpty()
                    ? new PluginException(Errno.EIO, "could not get length of remote file [" + url + "], is the URL correct?")
                    : new PluginException(Errno.EIO, NO_RANGES);
        } catch (CurlErrors.StatusError e) {
            headFailure = e;
        }
        // The server answered, but not what a HEAD must say: the first byte, asked for as a range, may tell.
        CurlPlugin.debug("HEAD did not give a size and range support (" + headFailure.getMessage() + "): trying GET of byte 0");
        try {
            long total = firstByteTotal(session);
            if (total >= 0) return total;
        } catch (PluginException e) {
            CurlPlugin.debug("GET of byte 0: " + e.getMessage());
        }
        throw headFailure;
    }

    /** The total size from the 206 reply to {@code Range: bytes=0-0}, or -1. */
    private static long firstByteTotal(HttpSession session) {
        MemorySegment one = MemorySegment.ofArray(new byte[1]);
        Reply r = session.send("GET of byte 0", "GET", Map.of("Range", "bytes=0-0"), null,
                status -> status == 206 ? one : MemorySegment.NULL);
        if (r.status() != 206) return -1;
        String cr = r.headers().firstValue("content-range").orElse("");
        int slash = cr.lastIndexOf('/');
        if (!cr.startsWith("bytes ") || slash < 0) return -1;
        try {
            return Long.parseLong(cr.substring(slash + 1).strip());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** {@code Accept-Ranges: bytes}, the word alone (nbdkit's check). */
    private static boolean acceptsRanges(HttpHeaders h) {
        return h.allValues("accept-ranges").stream().anyMatch(v -> v.strip().equals("bytes"));
    }

    @Override public long getSize() { return size; }

    @Override public boolean canWrite() { return true; }

    /** The page: "-r ... enables NBD multi-conn": a read-only web resource looks the same from every connection. */
    @Override public boolean canMultiConn() { return readonly; }

    @Override
    public void pread(IoBuffer buf, long offset, int flags) {
        MemorySegment seg = buf.segment();
        long count = seg.byteSize();
        if (count == 0) return;
        // A 200 carries the whole file: usable only when that is exactly what was asked.
        Reply r = session.send("pread", "GET", Map.of("Range", "bytes=" + offset + "-" + (offset + count - 1)), null,
                st -> st == 206 || (st == 200 && offset == 0) ? seg : MemorySegment.NULL);
        int status = r.status();
        long got = r.body();
        if (status == 200 && (got != count || offset + count != size)) {
            throw new PluginException(Errno.EIO, "pread: " + NO_RANGES);
        }
        if (status != 200 && status != 206) {
            throw new PluginException(Errno.EIO, "pread: unexpected HTTP status " + status);
        }
        if (status == 206) {
            String cr = r.headers().firstValue("content-range").orElse(null);
            if (cr != null && !cr.startsWith("bytes " + offset + "-")) {
                throw new PluginException(Errno.EIO, "pread: server sent the wrong range: Content-Range: " + cr
                        + " for bytes " + offset + "-" + (offset + count - 1));
            }
        }
        if (got != count) {
            throw new PluginException(Errno.EIO, "pread: server sent " + (got < 0 ? "more than" : got + " bytes of") + " the "
                    + count + " asked for");
        }
    }

    @Override
    public void pwrite(IoBuffer buf, long offset, int flags) {
        MemorySegment seg = buf.segment();
        long count = seg.byteSize();
        if (count == 0) return;
        Reply r = session.send("pwrite", "PUT", Map.of("Content-Range", "bytes " + offset + "-" + (offset + count - 1) + "/*"),
                seg, null);
        if (r.status() / 100 != 2) {
            throw new PluginException(Errno.EIO, "pwrite: unexpected HTTP status " + r.status());
        }
    }
}
