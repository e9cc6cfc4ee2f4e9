package dev.jnbdkit.filters.ddrescue;

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

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * nbdkit-ddrescue-filter: a rescued image served read-only, where a read fails with EIO (no log
 * line, as a bad sector would) unless one finished ('+') block of the ddrescue mapfile holds all
 * of it. Without a mapfile nothing is readable.
 */
public final class DdrescueFilter implements Filter {
    private Mapfile map = Mapfile.empty();

    @Override public String name() { return "ddrescue"; }

    @Override public String longname() { return "nbdkit ddrescue mapfile filter"; }

    @Override public String configHelp() {
        return "ddrescue-mapfile=...     Specify ddrescue mapfile to use";
    }

    @Override public void config(NextBackend next, String key, String value) {
        if (!key.equals("ddrescue-mapfile")) {
            next.config(key, value);
            return;
        }
        try {
            map = Mapfile.parse(new String(Files.readAllBytes(Path.of(value)), StandardCharsets.ISO_8859_1));
        } catch (NoSuchFileException e) {
            throw new PluginException(Errno.ENOENT, value + ": ddrescue: fopen: No such file or directory");
        } catch (IOException e) {
            throw new PluginException(Errno.EIO, value + ": ddrescue: fopen: " + e.getMessage());
        }
    }

    @Override public FilterHandle open(FilterContext context, OpenContext request) {
        context.open(true, request.exportName());
        Mapfile m = map;
        return new FilterHandle() {
            @Override public boolean canWrite(Next next) { return false; }

            @Override public CacheMode canCache(Next next) { return CacheMode.NONE; }

            @Override public void pread(Next next, IoBuffer buf, long offset, int flags) {
                if (!m.readable(offset, buf.length())) throw new PluginException(Errno.EIO, null);
                next.pread(buf, offset, flags);
            }
        };
    }
}
