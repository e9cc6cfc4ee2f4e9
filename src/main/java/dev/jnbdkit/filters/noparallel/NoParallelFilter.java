package dev.jnbdkit.filters.noparallel;

import dev.jnbdkit.filters.FilterArgs;
import dev.jnbdkit.spi.Filter;
import dev.jnbdkit.spi.FilterContext;
import dev.jnbdkit.spi.FilterHandle;
import dev.jnbdkit.spi.Next;
import dev.jnbdkit.spi.OpenContext;
import dev.jnbdkit.spi.NextBackend;
import dev.jnbdkit.spi.ThreadModel;

/**
 * nbdkit-noparallel-filter: tightens the thread model to {@code serialize=requests} (default),
 * {@code all-requests} or {@code connections}; the server does the serializing (and drops
 * multi-conn for connections).
 */
public final class NoParallelFilter implements Filter {
    private ThreadModel model = ThreadModel.SERIALIZE_REQUESTS;

    @Override public String name() { return "noparallel"; }

    @Override public String longname() { return "nbdkit noparallel filter"; }

    @Override
    public String configHelp() { return "serialize=<MODE>      'requests' (default), 'all-requests', or 'connections'."; }

    @Override
    public void config(NextBackend next, String key, String value) {
        if (!key.equals("serialize") && !key.equals("serialise")) {
            next.config(key, value);
            return;
        }
        model = switch (value) {
            case "requests" -> ThreadModel.SERIALIZE_REQUESTS;
            case "all_requests", "all-requests" -> ThreadModel.SERIALIZE_ALL_REQUESTS;
            case "connections" -> ThreadModel.SERIALIZE_CONNECTIONS;
            default -> throw FilterArgs.bad("unknown noparallel serialize mode '" + value + "'");
        };
    }

    @Override public ThreadModel threadModel() { return model; }

    @Override
    public FilterHandle open(FilterContext context, OpenContext request) {
        context.open(request.readonly(), request.exportName());
        return model == ThreadModel.SERIALIZE_CONNECTIONS ? ONE_CLIENT : FilterHandle.PASS_THROUGH;
    }

    /** One client at a time: multi-conn would promise what cannot happen, so it is not offered. */
    private static final FilterHandle ONE_CLIENT = new FilterHandle() {
        @Override public boolean canMultiConn(Next next) { return false; }
    };
}
