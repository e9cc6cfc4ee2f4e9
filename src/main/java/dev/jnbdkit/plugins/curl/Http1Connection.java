package dev.jnbdkit.plugins.curl;

import java.io.EOFException;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.net.ProtocolException;
import java.net.http.HttpHeaders;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.IntFunction;

/**
 * One keep-alive HTTP/1.1 connection over a blocking socket (plain or TLS: {@link Wire}), used
 * by one request at a time on the caller's thread. The response body is read from the socket
 * straight into the buffer the caller names (the NBD request's native memory): no intermediate
 * array (over TLS, one 16 KiB one after decryption), no thread hand-off, no garbage per byte. Framing by {@code Content-Length}, {@code Transfer-Encoding: chunked} or the
 * end of the connection (RFC 9112 section 6.3); interim 1xx replies are skipped.
 */
final class Http1Connection implements AutoCloseable {
    /** Longest status line plus headers taken (libcurl's CURL_MAX_HTTP_HEADER is 100 KiB). */
    private static final int MAX_HEAD = 100 * 1024;
    /** A body nobody wants up to this size is read and dropped, so that the connection stays usable. */
    private static final long DRAIN_LIMIT = 64 * 1024;

    private final Wire wire;
    /** Bytes read but not consumed yet, between position and limit. */
    private final ByteBuffer in = ByteBuffer.allocateDirect(16 * 1024).limit(0);
    private boolean reusable = true;
    private boolean received;

    Http1Connection(Wire wire) { this.wire = wire; }

    /** The connection ended before any byte of the reply (a kept-alive one the server closed while idle). */
    static final class Stale extends IOException {
        Stale(String message) { super(message); }
    }

    /** Whether any byte of the current exchange's reply has arrived. */
    boolean receivedAny() { return received; }

    /** False once the server said it closes, or a body was left unread. */
    boolean reusable() { return reusable && wire.isOpen(); }

    /**
     * Sends {@code head} (request line and headers, ending in an empty line) and {@code upload},
     * then reads the reply; {@code into} picks the body's destination from the status (null:
     * drop it). A HEAD request's reply has no body.
     */
    Reply exchange(ByteBuffer head, MemorySegment upload, boolean headRequest, IntFunction<MemorySegment> into) throws IOException {
        received = false;
        ByteBuffer[] out = upload == null ? new ByteBuffer[] {head} : new ByteBuffer[] {head, upload.asByteBuffer()};
        wire.write(out);
        int status;
        Map<String, List<String>> headers;
        String version;
        do {
            String statusLine = line();
            String[] f = statusLine.split(" ", 3);
            if (f.length < 2 || !f[0].startsWith("HTTP/1.")) throw new ProtocolException("bad status line: " + statusLine);
            version = f[0];
            try {
                status = Integer.parseInt(f[1]);
            } catch (NumberFormatException e) {
                throw new ProtocolException("bad status line: " + statusLine);
            }
            headers = headers();
        } while (status >= 100 && status < 200 && status != 101);
        if (status == 101 || (version.equals("HTTP/1.0") ? !has(headers, "connection", "keep-alive")
                : has(headers, "connection", "close"))) {
            reusable = false;
        }
        MemorySegment target = into == null ? null : into.apply(status);
        long body;
        if (headRequest || status == 204 || status == 304 || status == 101) {
            body = 0;
        } else if (has(headers, "transfer-encoding", "chunked")) {
            body = chunked(target);
        } else if (headers.containsKey("content-length")) {
            long length;
            try {
                length = Long.parseLong(headers.get("content-length").getFirst().strip());
            } catch (NumberFormatException e) {
                throw new ProtocolException("bad Content-Length: " + headers.get("content-length"));
            }
            if (length < 0) throw new ProtocolException("bad Content-Length: " + length);
            body = sized(target, length, 0);
        } else {
            reusable = false;
            body = untilClose(target);
        }
        return new Reply(status, HttpHeaders.of(headers, (a, b) -> true), target == null ? 0 : body);
    }

    /** {@code length} body bytes into {@code target} from offset {@code filled}: the new fill, or -1 if they do not fit. */
    private long sized(MemorySegment target, long length, long filled) throws IOException {
        if (target != null && filled >= 0 && filled + length <= target.byteSize()) {
            fill(target, filled, length);
            return filled + length;
        }
        if (length > DRAIN_LIMIT) {
            reusable = false;
        } else {
            skip(length);
        }
        return target == null ? 0 : -1;
    }

    private long chunked(MemorySegment target) throws IOException {
        long filled = 0;
        while (true) {
            String sizeLine = line();
            int semi = sizeLine.indexOf(';');
            long size;
            try {
                size = Long.parseLong((semi < 0 ? sizeLine : sizeLine.substring(0, semi)).strip(), 16);
            } catch (NumberFormatException e) {
                throw new ProtocolException("bad chunk size: " + sizeLine);
            }
            if (size < 0) throw new ProtocolException("bad chunk size: " + sizeLine);
            if (size == 0) break;
            filled = sized(target, size, filled);
            if (!reusable) return filled;
            if (!line().isEmpty()) throw new ProtocolException("chunk not followed by CRLF");
        }
        headers(); // trailers
        return filled;
    }

    private long untilClose(MemorySegment target) throws IOException {
        long filled = 0;
        long cap = target == null ? 0 : target.byteSize();
        while (true) {
            if (!in.hasRemaining()) {
                in.clear();
                int n = wire.read(in);
                in.flip();
                if (n < 0) return filled;
            }
            int n = in.remaining();
            if (target == null) {
                in.position(in.limit());
            } else if (filled + n > cap) {
                return -1;
            } else {
                MemorySegment.copy(MemorySegment.ofBuffer(in), 0, target, filled, n);
                in.position(in.limit());
                filled += n;
            }
        }
    }

    /** Exactly {@code n} bytes into {@code target} at {@code offset}: what is buffered, then straight from the socket. */
    private void fill(MemorySegment target, long offset, long n) throws IOException {
        int buffered = (int) Math.min(n, in.remaining());
        if (buffered > 0) {
            MemorySegment.copy(MemorySegment.ofBuffer(in), 0, target, offset, buffered);
            in.position(in.position() + buffered);
        }
        long done = buffered;
        while (done < n) {
            ByteBuffer dst = target.asSlice(offset + done, Math.min(n - done, Integer.MAX_VALUE)).asByteBuffer();
            while (dst.hasRemaining()) {
                int r = wire.read(dst);
                if (r < 0) throw truncated();
                done += r;
            }
        }
    }

    private void skip(long n) throws IOException {
        while (n > 0) {
            if (!in.hasRemaining() && refill() < 0) throw truncated();
            int k = (int) Math.min(n, in.remaining());
            in.position(in.position() + k);
            n -= k;
        }
    }

    private EOFException truncated() {
        reusable = false;
        return new EOFException("connection closed before the end of the body");
    }

    /** Reads more after what is buffered; -1 at the end of the stream. */
    private int refill() throws IOException {
        in.compact();
        int n;
        try {
            n = wire.read(in);
        } finally {
            in.flip();
        }
        if (n > 0) received = true;
        return n;
    }

    /** One line without its CR LF, ISO-8859-1 as RFC 9112 reads header bytes. */
    private String line() throws IOException {
        int scanned = in.position();
        while (true) {
            for (int i = scanned; i < in.limit(); i++) {
                if (in.get(i) == '\n') {
                    int end = i > in.position() && in.get(i - 1) == '\r' ? i - 1 : i;
                    byte[] b = new byte[end - in.position()];
                    in.get(in.position(), b);
                    in.position(i + 1);
                    return new String(b, StandardCharsets.ISO_8859_1);
                }
            }
            scanned = in.limit() - in.position();
            if (in.position() == 0 && in.limit() == in.capacity()) throw new ProtocolException("header line too long");
            boolean before = received;
            if (refill() < 0) {
                reusable = false;
                if (!before) throw new Stale("connection closed by the server before a reply");
                throw new EOFException("connection closed in the middle of the reply's headers");
            }
            // compact() moved the unread bytes to the start of the buffer
        }
    }

    /** Header lines up to the empty one: names folded to lower case, values in order. */
    private Map<String, List<String>> headers() throws IOException {
        Map<String, List<String>> h = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        int total = 0;
        String last = null;
        for (String l = line(); !l.isEmpty(); l = line()) {
            total += l.length();
            if (total > MAX_HEAD) throw new ProtocolException("reply headers longer than " + MAX_HEAD + " bytes");
            if ((l.charAt(0) == ' ' || l.charAt(0) == '\t') && last != null) {
                // obsolete line folding: a continuation of the previous value
                List<String> values = h.get(last);
                values.set(values.size() - 1, values.getLast() + " " + l.strip());
                continue;
            }
            int colon = l.indexOf(':');
            if (colon <= 0) throw new ProtocolException("bad header line: " + l);
            last = l.substring(0, colon).strip().toLowerCase(Locale.ROOT);
            h.computeIfAbsent(last, k -> new ArrayList<>(1)).add(l.substring(colon + 1).strip());
        }
        return h;
    }

    /** Whether a comma-separated header (Connection, Transfer-Encoding) has {@code token}. */
    private static boolean has(Map<String, List<String>> h, String name, String token) {
        for (String v : h.getOrDefault(name, List.of())) {
            for (String t : v.split(",")) {
                if (t.strip().equalsIgnoreCase(token)) return true;
            }
        }
        return false;
    }

    @Override
    public void close() {
        reusable = false;
        try {
            wire.close();
        } catch (IOException e) {
            // nothing to tell: the connection is gone either way
        }
    }
}
