package dev.jnbdkit.filters.extentlist;

import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.ExtentSink;
import dev.jnbdkit.spi.Filter;
import dev.jnbdkit.spi.FilterContext;
import dev.jnbdkit.spi.FilterHandle;
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
 * nbdkit-extentlist-filter: block status answered from a static list in a file instead of the
 * plugin (which is never asked). The list is read once at start-up; writes do not change it.
 */
public final class ExtentListFilter implements Filter {
    private String file;
    private ExtentList list;

    @Override public String name() { return "extentlist"; }

    @Override public String longname() { return "nbdkit extentlist filter"; }

    @Override public void config(NextBackend next, String key, String value) {
        if (key.equals("extentlist")) file = value;
        else next.config(key, value);
    }

    @Override public void configComplete(NextBackend next) {
        if (file == null) {
            throw new PluginException(Errno.EINVAL, "you must supply the extentlist parameter on the command line");
        }
        String text;
        try {
            text = new String(Files.readAllBytes(Path.of(file)), StandardCharsets.ISO_8859_1);
        } catch (NoSuchFileException e) {
            throw new PluginException(Errno.ENOENT, "open: " + file + ": No such file or directory");
        } catch (IOException e) {
            throw new PluginException(Errno.EIO, "open: " + file + ": " + e.getMessage());
        }
        list = ExtentList.parse(file, text);
        next.configComplete();
    }

    @Override public FilterHandle open(FilterContext context, OpenContext request) {
        context.open(request.readonly(), request.exportName());
        return new FilterHandle() {
            @Override public boolean canExtents(Next next) { return true; }

            @Override public void extents(Next next, long count, long offset, int flags, ExtentSink extents) {
                list.report(count, offset, extents);
            }
        };
    }
}
