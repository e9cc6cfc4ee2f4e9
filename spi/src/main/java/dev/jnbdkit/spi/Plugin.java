package dev.jnbdkit.spi;

import java.io.PrintStream;
import java.util.List;

/**
 * A plugin's global callbacks, in the order nbdkit calls them: {@link #load}, {@link #config} for
 * each {@code key=value}, {@link #configComplete}, {@link #threadModel}, {@link #getReady},
 * {@link #afterFork}; then per client {@link #preconnect}, {@link #listExports} /
 * {@link #defaultExport} and {@link #open}; at exit {@link #cleanup} and {@link #unload}.
 *
 * <p>Every method but {@link #name} and {@link #open} has nbdkit's default behaviour.
 */
public interface Plugin {

    /** The plugin's name, as typed on the command line ({@code memory}, {@code python}...). */
    String name();

    /** Version string shown by {@code --dump-plugin}, or null. */
    default String version() { return null; }

    /** One-line description shown by {@code --help} after the plugin name, or null. */
    default String longname() { return null; }

    /** Longer description, or null. */
    default String description() { return null; }

    /** Help for the plugin's {@code key=value} parameters, shown by {@code --help}, or null. */
    default String configHelp() { return null; }

    /**
     * The key a bare command-line argument (one without {@code =}) is assigned to, or null if
     * the plugin accepts none. nbdkit: "magic_config_key".
     */
    default String magicConfigKey() { return null; }

    /**
     * {@code -D NAME.FLAG=VALUE} on the command line, before any configuration (nbdkit's debug
     * flags, its {@code NAME_debug_FLAG} variables): set the flag and return true, or return false
     * if there is no flag of that name (the server then warns).
     */
    default boolean debugFlag(String flag, int value) { return false; }

    /** Called once, right after the plugin is chosen. */
    default void load() {}

    /** Extra {@code key=value} lines for {@code --dump-plugin}, printed after the standard ones. */
    default void dumpPlugin(PrintStream out) {}

    /** One {@code key=value} parameter from the command line. The default rejects every key. */
    default void config(String key, String value) {
        throw new PluginException(Errno.EINVAL, "unknown parameter '" + key + "'");
    }

    /** All parameters have been given; check that the required ones are there. */
    default void configComplete() {}

    /** The plugin's thread model; the server uses the stricter of this and its own. */
    default ThreadModel threadModel() { return ThreadModel.PARALLEL; }

    /** Last chance to fail before the server starts listening. */
    default void getReady() {}

    /** Called once the server has daemonized (or did not need to), before serving. */
    default void afterFork() {}

    /** A client connected; throwing refuses it before the handshake. */
    default void preconnect(boolean readonly) {}

    /**
     * The exports to list for {@code NBD_OPT_LIST}, or null to list just the default export
     * (the name from {@link #defaultExport}).
     */
    default List<Export> listExports(boolean readonly, boolean isTls) { return null; }

    /** The canonical name of the default export {@code ""}, or null if there is none. */
    default String defaultExport(boolean readonly, boolean isTls) { return ""; }

    /**
     * The class of the handles {@link #open} returns, if known: {@code --dump-plugin} lists the
     * per-connection callbacks it implements (has_pread=1, ...). Null when it cannot be known.
     */
    default Class<? extends Handle> handleType() { return null; }

    /** A client asked for an export: open a handle for this connection. */
    Handle open(OpenContext context);

    /** The server is shutting down; all handles are closed. */
    default void cleanup() {}

    /** The plugin is about to be unloaded; the last callback. */
    default void unload() {}
}
