package dev.jnbdkit.filters.nozero;

import dev.jnbdkit.filters.FilterArgs;
import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.Filter;
import dev.jnbdkit.spi.FilterContext;
import dev.jnbdkit.spi.FilterHandle;
import dev.jnbdkit.spi.Flags;
import dev.jnbdkit.spi.Next;
import dev.jnbdkit.spi.NextBackend;
import dev.jnbdkit.spi.OpenContext;
import dev.jnbdkit.spi.PluginException;
import dev.jnbdkit.spi.ZeroMode;

/**
 * nbdkit-nozero-filter: hides or cripples WRITE_ZEROES. {@code zeromode} chooses whether zeroing
 * is advertised and who does it; {@code fastzeromode} what happens to fast-zero requests.
 */
public final class NoZeroFilter implements Filter {
    enum Mode { NONE, EMULATE, NOTRIM, PLUGIN }

    enum FastMode { DEFAULT, NONE, SLOW, IGNORE }

    private Mode zeromode = Mode.NONE;
    private FastMode fastzeromode = FastMode.DEFAULT;

    @Override public String name() { return "nozero"; }

    @Override public String longname() { return "nbdkit nozero filter"; }

    @Override
    public String configHelp() {
        return "zeromode=<MODE>      One of 'none' (default), 'emulate', 'notrim', 'plugin'.\n"
                + "fastzeromode=<MODE>  One of 'default', 'none', 'slow', 'ignore'.";
    }

    @Override
    public void config(NextBackend next, String key, String value) {
        switch (key) {
            case "zeromode" -> zeromode = switch (value) {
                case "none" -> Mode.NONE;
                case "emulate" -> Mode.EMULATE;
                case "notrim" -> Mode.NOTRIM;
                case "plugin" -> Mode.PLUGIN;
                default -> throw FilterArgs.bad("unknown zeromode '" + value + "'");
            };
            case "fastzeromode" -> fastzeromode = switch (value) {
                case "default" -> FastMode.DEFAULT;
                case "none" -> FastMode.NONE;
                case "slow" -> FastMode.SLOW;
                case "ignore" -> FastMode.IGNORE;
                default -> throw FilterArgs.bad("unknown fastzeromode '" + value + "'");
            };
            default -> next.config(key, value);
        }
    }

    @Override
    public FilterHandle open(FilterContext context, OpenContext request) {
        context.open(request.readonly(), request.exportName());
        return new Handle();
    }

    private final class Handle implements FilterHandle {
        @Override
        public void prepare(Next next, boolean readonly) {
            if ((zeromode == Mode.NOTRIM || zeromode == Mode.PLUGIN) && !readonly && next.canZero() == ZeroMode.NONE) {
                throw new PluginException(Errno.EINVAL, "zeromode '" + zeromode.name().toLowerCase() + "' requires plugin zero support");
            }
        }

        @Override
        public ZeroMode canZero(Next next) {
            return switch (zeromode) {
                case NONE -> ZeroMode.NONE;
                // Emulated by writing zeros through pwrite (the server does it). As in nbdkit, an
                // emulated zero cannot be fast: fast requests fail with ENOTSUP in every
                // fastzeromode that advertises them, ignore included.
                case EMULATE -> ZeroMode.EMULATE;
                case NOTRIM, PLUGIN -> next.canZero();
            };
        }

        @Override
        public boolean canFastZero(Next next) {
            if (zeromode == Mode.NONE) return false;
            if (zeromode != Mode.EMULATE && fastzeromode == FastMode.DEFAULT) return next.canFastZero();
            return fastzeromode != FastMode.NONE;
        }

        @Override
        public void zero(Next next, long count, long offset, int flags) {
            if (Flags.has(flags, Flags.FAST_ZERO)) {
                if (fastzeromode == FastMode.SLOW || (fastzeromode == FastMode.DEFAULT && zeromode == Mode.EMULATE)) {
                    throw new PluginException(Errno.ENOTSUP, null);
                }
                if (fastzeromode == FastMode.IGNORE) flags &= ~Flags.FAST_ZERO;
            }
            if (zeromode == Mode.NOTRIM) flags &= ~Flags.MAY_TRIM;
            // Only notrim and plugin get here: none is not advertised, emulate is written as zeros
            // through pwrite by the server.
            next.zero(count, offset, flags);
        }
    }
}
