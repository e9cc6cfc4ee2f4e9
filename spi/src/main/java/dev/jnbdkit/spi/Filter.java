package dev.jnbdkit.spi;

import java.util.List;

/**
 * A filter's global callbacks (nbdkit-filter(3)): a layer between the client and the plugin that
 * sees every call and passes it on to the next layer, changed or not. Every method has the
 * pass-through behaviour, so a filter implements only what it changes. Per connection,
 * {@link #open} returns a {@link FilterHandle}.
 *
 * <p>Order, for a stack {@code client → f1 → f2 → plugin}: {@link #load} inner first;
 * {@link #config} and {@link #configComplete} outer first, each filter consuming its own keys and
 * passing the rest on; the thread model is the strictest of every layer; {@link #getReady} and
 * {@link #afterFork} inner first; per client {@link #preconnect}, {@link #listExports},
 * {@link #defaultExport} and {@link #open} outer first (open passes the call on with
 * {@link FilterContext#open}), then {@link FilterHandle#prepare} inner first; at the end
 * {@link FilterHandle#finalize} and {@link FilterHandle#close} outer first; at exit
 * {@link #cleanup} outer first, before the plugin's, and {@link #unload} after the plugin's, inner first.
 *
 * <p>Failures are {@link PluginException}s with the errno for the client; a start-up callback's
 * message is printed as the server exits.
 */
public interface Filter {

    /** The name typed after {@code --filter=}: ASCII letters, digits and non-leading dashes. */
    String name();

    /** Version for {@code --version}, or null for the server's. */
    default String version() { return null; }

    /** Free-text name shown by {@code --help}, or null. */
    default String longname() { return null; }

    default String description() { return null; }

    /** Help for the filter's own {@code key=value} parameters, shown by {@code --help}, or null. */
    default String configHelp() { return null; }

    /**
     * {@code -D NAME.FLAG=VALUE} on the command line, before any configuration (nbdkit's debug
     * flags, its {@code NAME_debug_FLAG} variables): set the flag and return true, or return false
     * if there is no flag of that name (the server then warns).
     */
    default boolean debugFlag(String flag, int value) { return false; }

    default void load() {}

    default void unload() {}

    /** A {@code key=value} parameter: consume the filter's own, pass the others on. */
    default void config(NextBackend next, String key, String value) { next.config(key, value); }

    default void configComplete(NextBackend next) { next.configComplete(); }

    /** The filter's thread model: it can only tighten the plugin's (a looser one is ignored). */
    default ThreadModel threadModel() { return ThreadModel.PARALLEL; }

    /** Called after the layers below are ready, with the thread model the server chose. */
    default void getReady(ThreadModel threadModel) {}

    /** Called after the layers below; {@code backend} is valid until {@link #cleanup}. */
    default void afterFork(NextBackend backend) {}

    /** All connections have closed; called before the layers below clean up. */
    default void cleanup(NextBackend backend) {}

    default void preconnect(NextBackend next, boolean readonly) { next.preconnect(readonly); }

    default List<Export> listExports(NextBackend next, boolean readonly, boolean isTls) {
        return next.listExports(readonly, isTls);
    }

    default String defaultExport(NextBackend next, boolean readonly, boolean isTls) {
        return next.defaultExport(readonly, isTls);
    }

    /**
     * A client opened an export: open the next layer (normally first, through
     * {@link FilterContext#open}) and return this connection's handle.
     */
    default FilterHandle open(FilterContext context, OpenContext request) {
        context.open(request.readonly(), request.exportName());
        return FilterHandle.PASS_THROUGH;
    }
}
