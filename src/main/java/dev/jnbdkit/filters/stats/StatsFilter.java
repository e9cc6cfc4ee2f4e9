package dev.jnbdkit.filters.stats;

import dev.jnbdkit.log.Log;
import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.ExtentSink;
import dev.jnbdkit.spi.Filter;
import dev.jnbdkit.spi.FilterHandle;
import dev.jnbdkit.spi.IoBuffer;
import dev.jnbdkit.spi.Next;
import dev.jnbdkit.spi.NextBackend;
import dev.jnbdkit.spi.Numbers;
import dev.jnbdkit.spi.PluginException;
import dev.jnbdkit.spi.Sizes;
import dev.jnbdkit.spi.ThreadModel;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * nbdkit-stats-filter: counts requests, bytes and the time the layers below spend on them, and
 * writes the totals to {@code statsfile} (replacing it, or appending with {@code statsappend})
 * once, when the server exits. The file is opened at start-up so a bad path fails at once.
 */
public final class StatsFilter implements Filter, FilterHandle {
    private Path file;
    private boolean append;
    private long threshold = 95;
    private OutputStream out;
    private volatile long startNanos = System.nanoTime();

    private final OpStats read = new OpStats("read"), write = new OpStats("write"), trim = new OpStats("trim"),
            zero = new OpStats("zero"), extents = new OpStats("extents"), cache = new OpStats("cache"),
            flush = new OpStats("flush");

    @Override public String name() { return "stats"; }

    @Override public String longname() { return "nbdkit stats filter"; }

    @Override
    public String configHelp() {
        return """
                statsfile=<FILE>    (required) The file to place the log in.
                statsappend=<BOOL>  True to append to the log (default false).""";
    }

    @Override
    public void config(NextBackend next, String key, String value) {
        switch (key) {
            case "statsfile" -> file = Path.of(value);
            case "statsappend" -> append = Sizes.parseBool(value);
            case "statsthreshold" -> {
                threshold = Numbers.parseUnsigned("printing threshold", value);
                if (threshold > 100) {
                    throw new PluginException(Errno.EINVAL, "statsthreshold must be between 0 and 100 (percent)");
                }
            }
            default -> next.config(key, value);
        }
    }

    @Override
    public void configComplete(NextBackend next) {
        if (file == null) throw new PluginException(Errno.EINVAL, "stats filter requires statsfile parameter");
        try {
            out = append
                    ? Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND)
                    : Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                            StandardOpenOption.WRITE);
        } catch (NoSuchFileException e) {
            throw new PluginException(Errno.ENOENT, "open: " + file + ": No such file or directory");
        } catch (AccessDeniedException e) {
            throw new PluginException(Errno.EPERM, "open: " + file + ": Permission denied");
        } catch (IOException e) {
            throw new PluginException(Errno.EIO, "open: " + file + ": " + e.getMessage());
        }
        next.configComplete();
    }

    @Override public void getReady(ThreadModel threadModel) { startNanos = System.nanoTime(); }

    @Override
    public void cleanup(NextBackend backend) {
        OutputStream o = out;
        out = null;
        if (o == null) return;
        double wall = (System.nanoTime() - startNanos) / 1e9;
        String text = StatsReport.render(List.of(read, write, trim, zero, extents, cache, flush), wall, threshold);
        try (o) {
            o.write(text.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            Log.error("stats: " + file + ": " + e.getMessage());
        }
    }

    // The filter keeps no per-connection state: it is its own handle.
    @Override
    public FilterHandle open(dev.jnbdkit.spi.FilterContext context, dev.jnbdkit.spi.OpenContext request) {
        context.open(request.readonly(), request.exportName());
        return this;
    }

    private boolean histogram() { return threshold > 0; }

    @Override
    public void pread(Next next, IoBuffer buf, long offset, int flags) {
        long t = System.nanoTime();
        next.pread(buf, offset, flags);
        read.record(buf.length(), offset, System.nanoTime() - t, histogram());
    }

    @Override
    public void pwrite(Next next, IoBuffer buf, long offset, int flags) {
        long t = System.nanoTime();
        next.pwrite(buf, offset, flags);
        write.record(buf.length(), offset, System.nanoTime() - t, histogram());
    }

    @Override
    public void trim(Next next, long count, long offset, int flags) {
        long t = System.nanoTime();
        next.trim(count, offset, flags);
        trim.record(count, offset, System.nanoTime() - t, histogram());
    }

    @Override
    public void zero(Next next, long count, long offset, int flags) {
        long t = System.nanoTime();
        next.zero(count, offset, flags);
        zero.record(count, offset, System.nanoTime() - t, histogram());
    }

    @Override
    public void extents(Next next, long count, long offset, int flags, ExtentSink sink) {
        long t = System.nanoTime();
        next.extents(count, offset, flags, sink);
        extents.record(count, offset, System.nanoTime() - t, histogram());
    }

    @Override
    public void cache(Next next, long count, long offset, int flags) {
        long t = System.nanoTime();
        next.cache(count, offset, flags);
        cache.record(count, offset, System.nanoTime() - t, histogram());
    }

    @Override
    public void flush(Next next, int flags) {
        long t = System.nanoTime();
        next.flush(flags);
        flush.record(0, 0, System.nanoTime() - t, false);
    }
}
