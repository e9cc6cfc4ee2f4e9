package dev.jnbdkit.filters.multiconn;

import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.Filter;
import dev.jnbdkit.spi.FilterContext;
import dev.jnbdkit.spi.FilterHandle;
import dev.jnbdkit.spi.NextBackend;
import dev.jnbdkit.spi.OpenContext;
import dev.jnbdkit.spi.PluginException;
import dev.jnbdkit.spi.Sizes;
import dev.jnbdkit.spi.ThreadModel;

import java.util.ArrayList;
import java.util.List;

/**
 * nbdkit-multi-conn-filter: advertise (or hide) NBD_FLAG_CAN_MULTI_CONN, emulating
 * cross-connection flush consistency by replaying every flush on every open connection, and
 * skipping flushes that dirty tracking shows are not needed. The list of connections and the
 * dirty flags are shared by all connections, under this filter's monitor.
 */
public final class MultiConnFilter implements Filter {
    private Mode mode = Mode.AUTO;
    private TrackDirty track = TrackDirty.CONNECTION;
    private boolean byName;
    private volatile ThreadModel threadModel = ThreadModel.PARALLEL;

    /** Prepared connections, in the order they came. Guarded by {@code this}. */
    final List<MultiConnHandle> connections = new ArrayList<>();
    /** FAST tracking: some connection wrote since the last flush. Guarded by {@code this}. */
    boolean dirty;

    @Override public String name() { return "multi-conn"; }

    @Override public String longname() { return "nbdkit multi-conn filter"; }

    @Override
    public String configHelp() {
        return """
                multi-conn-mode=<MODE>          'auto' (default), 'emulate', 'plugin',
                                                'disable', or 'unsafe'.
                multi-conn-track-dirty=<LEVEL>  'conn' (default), 'fast', or 'off'.
                multi-conn-exportname=<BOOL>    true to limit emulation by export name.""";
    }

    @Override
    public void config(NextBackend next, String key, String value) {
        switch (key) {
            case "multi-conn-mode" -> {
                mode = Mode.parse(value);
                if (mode == null) throw new PluginException(Errno.EINVAL, "unknown multi-conn mode '" + value + "'");
            }
            case "multi-conn-track-dirty" -> {
                track = TrackDirty.parse(value);
                if (track == null) {
                    throw new PluginException(Errno.EINVAL, "unknown multi-conn track-dirty setting '" + value + "'");
                }
            }
            case "multi-conn-exportname" -> byName = Sizes.parseBool(value);
            default -> next.config(key, value);
        }
    }

    @Override public void getReady(ThreadModel chosen) { threadModel = chosen; }

    @Override
    public FilterHandle open(FilterContext context, OpenContext request) {
        context.open(request.readonly(), request.exportName());
        return new MultiConnHandle(this, request.exportName());
    }

    /** The mode of one connection, auto resolved against the plugin's answer. */
    Mode modeFor(boolean pluginMultiConn) {
        if (mode != Mode.AUTO) return mode;
        if (threadModel == ThreadModel.SERIALIZE_CONNECTIONS) return Mode.DISABLE;
        return pluginMultiConn ? Mode.PLUGIN : Mode.EMULATE;
    }

    TrackDirty track() { return track; }

    boolean byName() { return byName; }
}
