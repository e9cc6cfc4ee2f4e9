package dev.jnbdkit.filters.log;

import dev.jnbdkit.spi.BlockSize;
import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.Export;
import dev.jnbdkit.spi.Extent;
import dev.jnbdkit.spi.ExtentSink;
import dev.jnbdkit.spi.Filter;
import dev.jnbdkit.spi.FilterContext;
import dev.jnbdkit.spi.FilterHandle;
import dev.jnbdkit.spi.Flags;
import dev.jnbdkit.spi.IoBuffer;
import dev.jnbdkit.spi.Next;
import dev.jnbdkit.spi.NextBackend;
import dev.jnbdkit.spi.OpenContext;
import dev.jnbdkit.spi.PluginException;
import dev.jnbdkit.spi.Sizes;
import dev.jnbdkit.spi.ThreadModel;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * nbdkit-log-filter: logs every transaction to {@code logfile} and/or runs {@code logscript} for
 * each, in nbdkit's format (see {@link LogEntry}). Calls that take time are logged twice, on
 * entry and on return, correlated by an id unique per connection.
 */
public final class LogFilter implements Filter {
    private String logfile;
    private boolean append;
    private String logscript;
    private LogSinks sinks;

    private final AtomicLong connections = new AtomicLong();
    private final AtomicLong preconnectIds = new AtomicLong();
    private final AtomicLong listIds = new AtomicLong();

    @Override public String name() { return "log"; }

    @Override public String longname() { return "nbdkit log filter"; }

    @Override
    public String configHelp() {
        return "logfile=<FILE>               The file to place the log in.\n"
                + "logappend=<BOOL>             True to append to the log (default false).\n"
                + "logscript=<SCRIPT>           Script to run for logging.";
    }

    @Override
    public void config(NextBackend next, String key, String value) {
        switch (key) {
            case "logfile" -> logfile = value;
            case "logappend" -> append = Sizes.parseBool(value);
            case "logscript" -> logscript = value;
            default -> next.config(key, value);
        }
    }

    @Override
    public void getReady(ThreadModel threadModel) {
        sinks = LogSinks.open(logfile, append, logscript);
        log(new LogEntry("Ready", 0, LogEntry.Type.PRINT, null).num("thread_model", threadModel.value));
    }

    @Override
    public void afterFork(NextBackend backend) { log(new LogEntry("Fork", 0, LogEntry.Type.PRINT, null)); }

    @Override
    public void cleanup(NextBackend backend) { if (sinks != null) sinks.close(); }

    private void log(LogEntry e) { if (sinks != null) sinks.write(e); }

    private boolean active() { return sinks != null && sinks.active(); }

    @Override
    public void preconnect(NextBackend next, boolean readonly) {
        if (!active()) { next.preconnect(readonly); return; }
        long id = preconnectIds.incrementAndGet();
        log(new LogEntry("Preconnect", 0, LogEntry.Type.ENTER, id).bit("readonly", readonly));
        leave("Preconnect", 0, id, () -> { next.preconnect(readonly); return null; }, (r, e) -> {});
    }

    @Override
    public List<Export> listExports(NextBackend next, boolean readonly, boolean isTls) {
        if (!active()) return next.listExports(readonly, isTls);
        long id = listIds.incrementAndGet();
        log(new LogEntry("ListExports", 0, LogEntry.Type.ENTER, id).bit("readonly", readonly).bit("tls", isTls));
        return leave("ListExports", 0, id, () -> {
            List<Export> l = next.listExports(readonly, isTls);
            if (l == null) {
                String def = next.defaultExport(readonly, isTls);
                l = def == null ? List.of() : List.of(Export.named(def));
            }
            return l;
        }, (l, e) -> {
            List<LogEntry.Value> names = new ArrayList<>();
            for (Export x : l) names.add(new LogEntry.Str(x.name()));
            e.list("exports", names);
        });
    }

    interface Call<T> { T call(); }

    /** Runs {@code call}; logs its LEAVE line (with {@code result}'s fields) and passes its outcome on. */
    private <T> T leave(String act, long conn, long id, Call<T> call, java.util.function.BiConsumer<T, LogEntry> result) {
        T r;
        try {
            r = call.call();
        } catch (PluginException ex) {
            log(new LogEntry(act, conn, LogEntry.Type.LEAVE, id).num("return", -1).raw("error", ErrnoNames.name(ex.errno())));
            throw ex;
        } catch (RuntimeException ex) {
            log(new LogEntry(act, conn, LogEntry.Type.LEAVE, id).num("return", -1).raw("error", "EIO"));
            throw ex;
        }
        LogEntry e = new LogEntry(act, conn, LogEntry.Type.LEAVE, id);
        result.accept(r, e);
        log(e.num("return", 0));
        return r;
    }

    @Override
    public FilterHandle open(FilterContext context, OpenContext request) {
        context.open(request.readonly(), request.exportName());
        return new Logged(connections.incrementAndGet(), request.exportName(), request.isTls());
    }

    /** One connection: its number, and the id of its last transaction. */
    private final class Logged implements FilterHandle {
        private final long conn;
        private final String exportName;
        private final boolean tls;
        private final AtomicLong ids = new AtomicLong();
        private volatile boolean connected;

        Logged(long conn, String exportName, boolean tls) {
            this.conn = conn;
            this.exportName = exportName;
            this.tls = tls;
        }

        @Override
        public void prepare(Next next, boolean readonly) {
            if (!active()) return;
            BlockSize b = next.blockSize();
            log(new LogEntry("Connect", conn, LogEntry.Type.PRINT, null)
                    .str("export", exportName).bit("tls", tls).hex("size", next.getSize())
                    .hex("minsize", b == null ? 0 : b.minimum()).hex("prefsize", b == null ? 0 : b.preferred())
                    .hex("maxsize", b == null ? 0 : b.maximum())
                    .bit("write", next.canWrite()).bit("flush", next.canFlush()).bit("rotational", next.isRotational())
                    .bit("trim", next.canTrim()).num("zero", next.canZero().value).num("fua", next.canFua().value)
                    .bit("extents", next.canExtents()).num("cache", next.canCache().value)
                    .bit("fast_zero", next.canFastZero()));
            connected = true;
        }

        @Override
        public void close() {
            if (connected) log(new LogEntry("Disconnect", conn, LogEntry.Type.PRINT, null).num("transactions", ids.get()));
        }

        private void logged(String act, Consumer<LogEntry> args, Runnable call) {
            if (!active()) { call.run(); return; }
            long id = ids.incrementAndGet();
            LogEntry enter = new LogEntry(act, conn, LogEntry.Type.ENTER, id);
            args.accept(enter);
            log(enter);
            leave(act, conn, id, () -> { call.run(); return null; }, (r, e) -> {});
        }

        @Override
        public void pread(Next next, IoBuffer buf, long offset, int flags) {
            logged("Read", e -> e.hex("offset", offset).hex("count", buf.length()), () -> next.pread(buf, offset, flags));
        }

        @Override
        public void pwrite(Next next, IoBuffer buf, long offset, int flags) {
            logged("Write", e -> e.hex("offset", offset).hex("count", buf.length()).bit("fua", Flags.has(flags, Flags.FUA)),
                    () -> next.pwrite(buf, offset, flags));
        }

        @Override
        public void trim(Next next, long count, long offset, int flags) {
            logged("Trim", e -> e.hex("offset", offset).hex("count", count).bit("fua", Flags.has(flags, Flags.FUA)),
                    () -> next.trim(count, offset, flags));
        }

        @Override
        public void zero(Next next, long count, long offset, int flags) {
            logged("Zero", e -> e.hex("offset", offset).hex("count", count).bit("trim", Flags.has(flags, Flags.MAY_TRIM))
                    .bit("fua", Flags.has(flags, Flags.FUA)).bit("fast", Flags.has(flags, Flags.FAST_ZERO)),
                    () -> next.zero(count, offset, flags));
        }

        @Override
        public void flush(Next next, int flags) {
            logged("Flush", e -> {}, () -> next.flush(flags));
        }

        @Override
        public void cache(Next next, long count, long offset, int flags) {
            logged("Cache", e -> e.hex("offset", offset).hex("count", count), () -> next.cache(count, offset, flags));
        }

        @Override
        public void extents(Next next, long count, long offset, int flags, ExtentSink extents) {
            if (!active()) { next.extents(count, offset, flags, extents); return; }
            long id = ids.incrementAndGet();
            log(new LogEntry("Extents", conn, LogEntry.Type.ENTER, id).hex("offset", offset).hex("count", count)
                    .bit("req_one", Flags.has(flags, Flags.REQ_ONE)));
            List<LogEntry.Value> seen = new ArrayList<>();
            leave("Extents", conn, id, () -> {
                next.extents(count, offset, flags, (o, l, t) -> {
                    seen.add(new LogEntry.Hex(o));
                    seen.add(new LogEntry.Hex(l));
                    seen.add(new LogEntry.Raw("\"" + typeName(t) + "\"")); // always quoted, as nbdkit
                    extents.add(o, l, t);
                });
                return null;
            }, (r, e) -> e.list("extents", seen));
        }
    }

    static String typeName(int t) {
        boolean hole = (t & Extent.HOLE) != 0, zero = (t & Extent.ZERO) != 0;
        return hole && zero ? "hole,zero" : hole ? "hole" : zero ? "zero" : "";
    }

    /** errno names for {@code error=}. */
    static final class ErrnoNames {
        static String name(int errno) {
            return switch (errno) {
                case Errno.EPERM -> "EPERM";
                case Errno.ENOENT -> "ENOENT";
                case Errno.EIO -> "EIO";
                case Errno.EBADF -> "EBADF";
                case Errno.ENOMEM -> "ENOMEM";
                case Errno.EFAULT -> "EFAULT";
                case Errno.EINVAL -> "EINVAL";
                case Errno.EFBIG -> "EFBIG";
                case Errno.ENOSPC -> "ENOSPC";
                case Errno.EROFS -> "EROFS";
                case Errno.ERANGE -> "ERANGE";
                case Errno.EOVERFLOW -> "EOVERFLOW";
                case Errno.ENOTSUP -> "EOPNOTSUPP";
                case Errno.ESHUTDOWN -> "ESHUTDOWN";
                case Errno.EDQUOT -> "EDQUOT";
                default -> Integer.toString(errno);
            };
        }
    }
}
