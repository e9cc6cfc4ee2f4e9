package dev.jnbdkit.plugins.info;

import dev.jnbdkit.plugins.PluginVersion;
import dev.jnbdkit.spi.CacheMode;
import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.Handle;
import dev.jnbdkit.spi.IoBuffer;
import dev.jnbdkit.spi.Nbdkit;
import dev.jnbdkit.spi.OpenContext;
import dev.jnbdkit.spi.Plugin;
import dev.jnbdkit.spi.PluginException;

import java.io.PrintStream;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * {@code info}: a read-only disk that holds something about the connection, as
 * nbdkit-info-plugin(1). {@code [mode=]exportname} (default: the export name's bytes),
 * {@code base64exportname} (the export name, base64-decoded), {@code time}, {@code uptime},
 * {@code conntime} (12 bytes: seconds as a 64-bit and microseconds as a 32-bit big-endian
 * number, taken when read). {@code address}: the client's IP address and port, or {@code unix}.
 */
public final class InfoPlugin implements Plugin {
    enum Mode { EXPORTNAME, BASE64EXPORTNAME, ADDRESS, TIME, UPTIME, CONNTIME }

    private Mode mode = Mode.EXPORTNAME;
    /** The server's start, for uptime: when the plugin was loaded. */
    private final long loadedNanos = System.nanoTime();

    public InfoPlugin() {}

    @Override public String name() { return "info"; }

    @Override public String version() { return PluginVersion.VERSION; }

    @Override public String longname() { return "nbdkit info plugin"; }

    @Override public String description() {
        return "A read-only disk reflecting the export name, or the server's time, uptime or connection time.";
    }

    @Override public String configHelp() {
        return "mode=exportname|base64exportname|address|time|uptime|conntime\n"
                + "                                      Plugin mode (default exportname).";
    }

    @Override public String magicConfigKey() { return "mode"; }

    @Override public void dumpPlugin(PrintStream out) {
        out.println("info_address=yes");
        out.println("info_base64=yes");
    }

    @Override
    public void config(String key, String value) {
        if (!key.equals("mode")) throw new PluginException(Errno.EINVAL, "unknown parameter '" + key + "'");
        mode = switch (value.toLowerCase(java.util.Locale.ROOT)) {
            case "exportname", "export-name" -> Mode.EXPORTNAME;
            case "base64exportname", "base64-export-name" -> Mode.BASE64EXPORTNAME;
            case "address" -> Mode.ADDRESS;
            case "time" -> Mode.TIME;
            case "uptime" -> Mode.UPTIME;
            case "conntime" -> Mode.CONNTIME;
            default -> throw new PluginException(Errno.EINVAL, "unknown mode: '" + value + "'");
        };
    }

    @Override public Class<? extends Handle> handleType() { return InfoHandle.class; }

    @Override
    public Handle open(OpenContext context) {
        String name = context.exportName() == null ? "" : context.exportName();
        return switch (mode) {
            case EXPORTNAME -> new InfoHandle(mode, name.getBytes(StandardCharsets.UTF_8), 0, 0);
            case BASE64EXPORTNAME -> {
                try {
                    yield new InfoHandle(mode, Base64.getDecoder().decode(name.strip()), 0, 0);
                } catch (IllegalArgumentException e) {
                    throw new PluginException(Errno.EINVAL, "base64: Base64 decoding error.");
                }
            }
            case TIME, UPTIME, CONNTIME -> new InfoHandle(mode, null, loadedNanos, System.nanoTime());
            case ADDRESS -> new InfoHandle(mode, address(Nbdkit.connection().peerAddress()), 0, 0);
        };
    }

    /**
     * The client's address as nbdkit writes it: {@code 127.0.0.1:PORT}, {@code [::1]:PORT}, and
     * {@code unix} for a Unix socket (no host path leaks); -s over pipes has no address.
     */
    static byte[] address(java.net.SocketAddress peer) {
        String text;
        if (peer instanceof java.net.InetSocketAddress in && in.getAddress() != null) {
            java.net.InetAddress a = in.getAddress();
            if (a instanceof java.net.Inet6Address v6 && isMappedV4(v6)) {
                a = mappedV4(v6);
            }
            String host = a.getHostAddress();
            int pct = host.indexOf('%');
            if (pct >= 0) host = host.substring(0, pct);
            text = (a instanceof java.net.Inet6Address ? "[" + compress(host) + "]" : host) + ":" + in.getPort();
        } else if (peer instanceof java.net.UnixDomainSocketAddress) {
            text = "unix";
        } else {
            throw new PluginException(Errno.ENOTSUP, "mode=address: the client's address is not known");
        }
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    /** An IPv4 client of a dual-stack socket arrives as ::ffff:a.b.c.d; nbdkit's own IPv4 socket sees a.b.c.d. */
    private static boolean isMappedV4(java.net.Inet6Address a) {
        byte[] b = a.getAddress();
        for (int i = 0; i < 10; i++) if (b[i] != 0) return false;
        return b[10] == (byte) 0xff && b[11] == (byte) 0xff;
    }

    private static java.net.InetAddress mappedV4(java.net.Inet6Address a) {
        byte[] b = a.getAddress();
        try {
            return java.net.InetAddress.getByAddress(java.util.Arrays.copyOfRange(b, 12, 16));
        } catch (java.net.UnknownHostException e) {
            return a;
        }
    }

    /** inet_ntop's form (::1), where Java writes 0:0:0:0:0:0:0:1: the longest run of zero groups as "::". */
    static String compress(String full) {
        String[] g = full.split(":");
        int bestAt = -1, bestLen = 0;
        for (int i = 0; i < g.length; ) {
            if (!g[i].equals("0")) { i++; continue; }
            int j = i;
            while (j < g.length && g[j].equals("0")) j++;
            if (j - i > bestLen && j - i > 1) { bestAt = i; bestLen = j - i; }
            i = j;
        }
        if (bestAt < 0) return full;
        String head = String.join(":", java.util.Arrays.copyOfRange(g, 0, bestAt));
        String tail = String.join(":", java.util.Arrays.copyOfRange(g, bestAt + bestLen, g.length));
        return head + "::" + tail;
    }

    /** The 12-byte time format: seconds (64-bit) and microseconds (32-bit), big-endian. */
    static byte[] timeBytes(long micros) {
        return ByteBuffer.allocate(12).putLong(Math.floorDiv(micros, 1_000_000)).putInt((int) Math.floorMod(micros, 1_000_000)).array();
    }

    record InfoHandle(Mode mode, byte[] data, long loadedNanos, long openedNanos) implements Handle {
        @Override public long getSize() { return data != null ? data.length : 12; }

        @Override public boolean canMultiConn() { return true; }

        @Override public CacheMode canCache() { return CacheMode.NATIVE; }

        @Override
        public void pread(IoBuffer buf, long offset, int flags) {
            byte[] src = switch (mode) {
                case TIME -> {
                    java.time.Instant now = java.time.Instant.now();
                    yield timeBytes(now.getEpochSecond() * 1_000_000 + now.getNano() / 1000);
                }
                case UPTIME -> timeBytes((System.nanoTime() - loadedNanos) / 1000);
                case CONNTIME -> timeBytes((System.nanoTime() - openedNanos) / 1000);
                default -> data;
            };
            MemorySegment.copy(MemorySegment.ofArray(src), offset, buf.segment(), 0, buf.segment().byteSize());
        }
    }
}
