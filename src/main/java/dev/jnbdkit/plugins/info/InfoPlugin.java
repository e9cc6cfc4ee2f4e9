package dev.jnbdkit.plugins.info;

import dev.jnbdkit.plugins.PluginVersion;
import dev.jnbdkit.spi.CacheMode;
import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.Handle;
import dev.jnbdkit.spi.IoBuffer;
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
 * number, taken when read). {@code address} needs the client's address, which the plugin SPI
 * does not offer: it is refused, and {@code --dump-plugin} says {@code info_address=no}.
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
        out.println("info_address=no");
        out.println("info_base64=yes");
    }

    @Override
    public void config(String key, String value) {
        if (!key.equals("mode")) throw new PluginException(Errno.EINVAL, "unknown parameter '" + key + "'");
        mode = switch (value.toLowerCase(java.util.Locale.ROOT)) {
            case "exportname", "export-name" -> Mode.EXPORTNAME;
            case "base64exportname", "base64-export-name" -> Mode.BASE64EXPORTNAME;
            case "address" -> throw new PluginException(Errno.ENOTSUP,
                    "mode=address is not supported by this build (see --dump-plugin: info_address=no)");
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
            case ADDRESS -> throw new IllegalStateException("refused at config");
        };
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
