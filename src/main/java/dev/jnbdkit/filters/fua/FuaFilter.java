package dev.jnbdkit.filters.fua;

import dev.jnbdkit.filters.FilterArgs;
import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.Filter;
import dev.jnbdkit.spi.FilterContext;
import dev.jnbdkit.spi.FilterHandle;
import dev.jnbdkit.spi.Flags;
import dev.jnbdkit.spi.FuaMode;
import dev.jnbdkit.spi.IoBuffer;
import dev.jnbdkit.spi.Next;
import dev.jnbdkit.spi.NextBackend;
import dev.jnbdkit.spi.OpenContext;
import dev.jnbdkit.spi.PluginException;

import java.util.Locale;

/**
 * nbdkit-fua-filter: changes how FUA and flush reach the plugin: not advertised ({@code none},
 * the default), emulated with flush, advertised as native, forced on every write (flush becomes a
 * no-op), passed through, or discarded together with flush.
 */
public final class FuaFilter implements Filter {
    enum Mode { NONE, EMULATE, NATIVE, FORCE, PASS, DISCARD }

    private Mode mode = Mode.NONE;

    @Override public String name() { return "fua"; }

    @Override public String longname() { return "nbdkit fua filter"; }

    @Override
    public String configHelp() {
        return "fuamode=<MODE>       One of 'none' (default), 'emulate', 'native',\n"
                + "                       'force', 'pass', 'discard'.";
    }

    @Override
    public void config(NextBackend next, String key, String value) {
        if (!key.equals("fuamode")) {
            next.config(key, value);
            return;
        }
        mode = switch (value) {
            case "none" -> Mode.NONE;
            case "emulate" -> Mode.EMULATE;
            case "native" -> Mode.NATIVE;
            case "force" -> Mode.FORCE;
            case "pass" -> Mode.PASS;
            case "discard" -> Mode.DISCARD;
            default -> throw FilterArgs.bad("unknown fuamode '" + value + "'");
        };
    }

    @Override
    public FilterHandle open(FilterContext context, OpenContext request) {
        context.open(request.readonly(), request.exportName());
        return new Handle();
    }

    private final class Handle implements FilterHandle {
        @Override
        public void prepare(Next next, boolean readonly) {
            if (readonly) return; // nothing is written, FUA is not advertised anyway
            String name = mode.name().toLowerCase(Locale.ROOT);
            switch (mode) {
                case EMULATE -> {
                    if (!next.canFlush()) throw new PluginException(Errno.EINVAL, "fuamode '" + name + "' requires plugin flush support");
                }
                case NATIVE, FORCE -> {
                    if (next.canFua() == FuaMode.NONE) throw new PluginException(Errno.EINVAL, "fuamode '" + name + "' requires plugin fua support");
                }
                default -> {}
            }
        }

        @Override
        public boolean canFlush(Next next) { return mode == Mode.DISCARD || next.canFlush(); }

        @Override
        public FuaMode canFua(Next next) {
            return switch (mode) {
                case NONE -> FuaMode.NONE;
                case EMULATE -> FuaMode.EMULATE;
                case NATIVE, FORCE, DISCARD -> FuaMode.NATIVE;
                case PASS -> next.canFua();
            };
        }

        /** The flags for the next layer; true in {@code flushAfter[0]} when a flush must follow. */
        private int flags(int flags, boolean[] flushAfter) {
            boolean fua = Flags.has(flags, Flags.FUA);
            return switch (mode) {
                case NONE, PASS, NATIVE -> flags;
                case EMULATE -> {
                    flushAfter[0] = fua;
                    yield flags & ~Flags.FUA;
                }
                case FORCE -> flags | Flags.FUA;
                case DISCARD -> flags & ~Flags.FUA;
            };
        }

        @Override
        public void pwrite(Next next, IoBuffer buf, long offset, int flags) {
            boolean[] flush = new boolean[1];
            next.pwrite(buf, offset, flags(flags, flush));
            if (flush[0]) next.flush(0);
        }

        @Override
        public void trim(Next next, long count, long offset, int flags) {
            boolean[] flush = new boolean[1];
            next.trim(count, offset, flags(flags, flush));
            if (flush[0]) next.flush(0);
        }

        @Override
        public void zero(Next next, long count, long offset, int flags) {
            boolean[] flush = new boolean[1];
            next.zero(count, offset, flags(flags, flush));
            if (flush[0]) next.flush(0);
        }

        @Override
        public void flush(Next next, int flags) {
            // force: every write already had FUA; discard: flushes are thrown away.
            if (mode == Mode.FORCE || mode == Mode.DISCARD) return;
            next.flush(flags);
        }
    }
}
