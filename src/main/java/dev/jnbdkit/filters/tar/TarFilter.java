package dev.jnbdkit.filters.tar;

import dev.jnbdkit.filters.common.ShiftedHandle;
import dev.jnbdkit.log.Log;
import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.Filter;
import dev.jnbdkit.spi.FilterContext;
import dev.jnbdkit.spi.FilterHandle;
import dev.jnbdkit.spi.IoBuffer;
import dev.jnbdkit.spi.Next;
import dev.jnbdkit.spi.NextBackend;
import dev.jnbdkit.spi.OpenContext;
import dev.jnbdkit.spi.PluginException;
import dev.jnbdkit.spi.Sizes;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * nbdkit-tar-filter: serves one member of an uncompressed tar file, read and written in place.
 * The first connection finds the member by reading the tar headers from the next layer
 * ({@link TarScanner}: only headers, the data of other members is skipped); from then on every
 * request is the member's range of the next layer, moved by the data's offset. Writes change the
 * tar file; the member cannot be resized. nbdkit 1.34 pipes the file through GNU tar to find the
 * member; this filter needs no tar program ({@code tar=} is accepted and unused).
 */
public final class TarFilter implements Filter {
    private String entry;
    private long limit; // 0: search the whole file

    /** Found once, by the first connection, for all (nbdkit keeps it global too). */
    private final Object lock = new Object();
    private volatile TarEntry found;

    @Override public String name() { return "tar"; }

    @Override public String longname() { return "nbdkit tar filter"; }

    @Override
    public String configHelp() {
        return "tar-entry=<FILENAME> (required) The path inside the tar file to serve.\n"
                + "tar-limit=<SIZE>     Only look for the entry in the first SIZE bytes (default: no limit).\n"
                + "tar=<PATH>           Path of GNU tar (accepted for compatibility; not needed).";
    }

    @Override
    public void config(NextBackend next, String key, String value) {
        switch (key) {
            case "tar-entry" -> {
                if (entry != null) throw new PluginException(Errno.EINVAL, "only one tar-entry parameter can be given");
                entry = value;
            }
            case "tar-limit" -> limit = Sizes.parse(value);
            case "tar" -> { } // the headers are read here, not by a tar program
            default -> next.config(key, value);
        }
    }

    @Override
    public void configComplete(NextBackend next) {
        if (entry == null) throw new PluginException(Errno.EINVAL, "you must supply the tar-entry=<FILENAME> parameter");
        next.configComplete();
    }

    @Override
    public FilterHandle open(FilterContext context, OpenContext request) {
        context.open(request.readonly(), request.exportName());
        return new Member();
    }

    /** Finds the member through this connection's next layer, unless an earlier connection did. */
    private TarEntry locate(Next next) {
        TarEntry e = found;
        if (e != null) return e;
        synchronized (lock) {
            if (found != null) return found;
            try {
                e = TarScanner.find(new NextSource(next), entry, limit);
            } catch (TarScanner.NotFoundException ex) {
                throw new PluginException(Errno.EINVAL, "tar: '" + entry + "' " + ex.getMessage()
                        + ": check that the file really exists in the tarball (tar tf FILE)");
            } catch (TarScanner.BadArchiveException ex) {
                throw new PluginException(Errno.EINVAL, "tar: " + ex.getMessage());
            }
            Log.debug("tar: " + entry + " found at offset " + e.offset() + ", size " + e.size());
            found = e;
            return e;
        }
    }

    /** One connection: the member's range of the next layer. */
    private final class Member extends ShiftedHandle {
        private long offset;
        private long size;

        @Override
        public void prepare(Next next, boolean readonly) {
            TarEntry e = locate(next);
            offset = e.offset();
            size = e.size();
        }

        @Override
        public long getSize(Next next) {
            next.getSize();
            return size;
        }

        @Override
        public String exportDescription(Next next) {
            String base = next.exportDescription();
            return base == null ? null : "embedded " + entry + " from within tar file: " + base;
        }

        @Override protected long offset() { return offset; }
    }

    /** The tar file as the scanner reads it: the next layer, a header at a time. */
    private record NextSource(Next next) implements TarScanner.Source {
        @Override public long size() { return next.getSize(); }

        @Override
        public void read(byte[] dst, int length, long offset) {
            IoBuffer buf = IoBuffer.allocate(length);
            next.pread(buf, offset, 0);
            MemorySegment.copy(buf.segment(), ValueLayout.JAVA_BYTE, 0, dst, 0, length);
        }
    }
}
