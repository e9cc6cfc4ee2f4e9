package dev.jnbdkit.plugins.data;

import dev.jnbdkit.plugins.PluginVersion;
import dev.jnbdkit.plugins.RamHandle;
import dev.jnbdkit.plugins.memory.Allocators;
import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.ExtentSink;
import dev.jnbdkit.spi.Flags;
import dev.jnbdkit.spi.Handle;
import dev.jnbdkit.spi.IoBuffer;
import dev.jnbdkit.spi.Nbdkit;
import dev.jnbdkit.spi.OpenContext;
import dev.jnbdkit.spi.Plugin;
import dev.jnbdkit.spi.PluginException;
import dev.jnbdkit.spi.Sizes;
import dev.jnbdkit.spi.ThreadModel;

import java.io.PrintStream;
import java.lang.foreign.MemorySegment;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;

/**
 * {@code data}: a disk described on the command line, as nbdkit-data-plugin(1). Exactly one of
 * {@code [data=]DATA} (the format {@link DataParser} reads), {@code base64=} or {@code raw=};
 * {@code size=} truncates or extends; {@code allocator=} as the memory plugin's. The disk is
 * built once at start-up into a memory store and is read-write (writes are lost at exit). Any
 * other {@code key=value} is a variable for {@code $key}.
 */
public final class DataPlugin implements Plugin {
    private enum Kind { DATA, BASE64, RAW }

    private Kind kind;
    private String value;
    private int sources;
    private long size = -1;
    private Allocators.Allocator allocator = Allocators.Allocator.SPARSE;
    private final Map<String, String> variables = new HashMap<>();
    private volatile DataStore disk;

    public DataPlugin() {}

    @Override public String name() { return "data"; }

    @Override public String version() { return PluginVersion.VERSION; }

    @Override public String longname() { return "nbdkit data plugin"; }

    @Override public String description() {
        return "Serves a small disk described on the command line (data format, base64 or raw bytes).";
    }

    @Override public String configHelp() {
        return "data|raw|base64=...     Specify disk data on the command line\n"
                + "size=<SIZE>             Size of the backing disk\n"
                + "allocator=sparse|malloc[,mlock=true] Backend allocation strategy";
    }

    @Override public String magicConfigKey() { return "data"; }

    @Override public void dumpPlugin(PrintStream out) {
        out.println("data_base64=yes");
        out.println("mlock=yes");
        out.println("zstd=" + (Allocators.zstdAvailable() ? "yes" : "no"));
    }

    @Override
    public void config(String key, String v) {
        switch (key) {
            case "data" -> source(Kind.DATA, v);
            case "base64" -> source(Kind.BASE64, v);
            case "raw" -> source(Kind.RAW, v);
            case "size" -> size = Sizes.parse(v);
            case "allocator" -> allocator = Allocators.parse(v);
            default -> variables.put(key, v);
        }
    }

    private void source(Kind k, String v) {
        sources++;
        kind = k;
        value = v;
    }

    @Override
    public void configComplete() {
        if (sources > 1) throw new PluginException(Errno.EINVAL, "raw|base64|data parameter must be specified exactly once");
        if (sources == 0) throw new PluginException(Errno.EINVAL, "raw|base64|data parameter was not specified");
    }

    @Override public ThreadModel threadModel() { return ThreadModel.PARALLEL; }

    /** The disk is built here, so a bad data string stops the server before it listens. */
    @Override
    public void getReady() { disk(); }

    private DataStore disk() {
        DataStore d = disk;
        if (d == null) {
            synchronized (this) {
                d = disk;
                if (d == null) {
                    configComplete();
                    d = build();
                    disk = d;
                }
            }
        }
        return d;
    }

    private DataStore build() {
        Image image = switch (kind) {
            case DATA -> new DataEvaluator(new SystemSources(variables)).evaluate(value);
            case BASE64 -> Image.of(decodeBase64(value));
            case RAW -> Image.of(value.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        };
        long diskSize = size >= 0 ? size : image.size();
        DataStore d = new DataStore(Allocators.create(allocator, diskSize), diskSize, allocator.sparse());
        ImageWriter.write(image.resize(diskSize), d, kind == Kind.DATA);
        Nbdkit.debug("data: " + allocator + " allocator, size " + diskSize + ", " + image.pieces().size() + " pieces");
        return d;
    }

    private static byte[] decodeBase64(String text) {
        try {
            return Base64.getMimeDecoder().decode(strictBase64(text));
        } catch (IllegalArgumentException e) {
            throw new PluginException(Errno.EINVAL, "base64: Base64 decoding error.");
        }
    }

    /** The MIME decoder skips junk; nbdkit (GnuTLS) refuses it, so check first. */
    private static String strictBase64(String text) {
        StringBuilder b = new StringBuilder();
        for (char c : text.toCharArray()) {
            if (Character.isWhitespace(c)) continue;
            if (!(Character.isLetterOrDigit(c) && c < 128) && c != '+' && c != '/' && c != '=') {
                throw new IllegalArgumentException("bad character");
            }
            b.append(c);
        }
        return Base64.getDecoder().decode(b.toString()).length >= 0 ? b.toString() : "";
    }

    @Override public Class<? extends Handle> handleType() { return DataHandle.class; }

    @Override public Handle open(OpenContext context) { return new DataHandle(disk()); }

    /** One connection; every connection shares the disk. */
    private record DataHandle(DataStore disk) implements RamHandle {
        @Override public long getSize() { return disk.size(); }

        @Override public void pread(IoBuffer buf, long offset, int flags) { disk.read(buf.segment(), offset); }

        @Override public MemorySegment[] preadViews(long count, long offset, int flags) {
            return disk.views(offset, count);
        }

        @Override public void pwrite(IoBuffer buf, long offset, int flags) { disk.write(buf.segment(), offset); }

        @Override public void trim(long count, long offset, int flags) { disk.zero(offset, count); }

        @Override public void zero(long count, long offset, int flags) { disk.zero(offset, count); }

        @Override public void extents(long count, long offset, int flags, ExtentSink extents) {
            disk.extents(offset, count, Flags.has(flags, Flags.REQ_ONE), extents);
        }
    }
}
