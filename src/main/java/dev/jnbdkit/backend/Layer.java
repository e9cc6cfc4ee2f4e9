package dev.jnbdkit.backend;

import dev.jnbdkit.log.Log;
import dev.jnbdkit.spi.Export;
import dev.jnbdkit.spi.ThreadModel;

import java.io.PrintStream;
import java.util.List;

/**
 * One layer of the stack, outside any connection: a plugin ({@link PluginLayer}) or a filter
 * ({@link FilterLayer}) in front of the next layer. The global callbacks, in the shape the
 * {@link Stack} drives them; {@link #open} makes the layer's {@link Context} for one connection.
 */
abstract sealed class Layer permits PluginLayer, FilterLayer {
    /** The layer behind this one, or null for the plugin. */
    final Layer next;

    Layer(Layer next) {
        this.next = next;
    }

    /** "plugin" or "filter". */
    abstract String kind();

    abstract String name();

    abstract String version();

    abstract String longname();

    abstract String description();

    abstract String configHelp();

    /** Where the layer's code lives (its jar), for --help and --dump-plugin. */
    abstract String path();

    abstract void load();

    /** -D NAME.FLAG=VALUE for this layer; false if it has no such flag. */
    abstract boolean debugFlag(String flag, int value);

    abstract void unload();

    abstract void config(String key, String value);

    abstract void configComplete();

    abstract ThreadModel threadModel();

    abstract void getReady(ThreadModel chosen);

    abstract void afterFork();

    abstract void cleanup();

    abstract void preconnect(boolean readonly);

    /** The exports, or null for "just the default export". */
    abstract List<Export> listExports(boolean readonly, boolean isTls);

    abstract String defaultExport(boolean readonly, boolean isTls);

    /** Opens the layer's handle for one connection (the filter opens the layers below itself). */
    abstract LayerHandle openHandle(boolean readonly, String exportName, boolean isTls);

    /** This layer's context for one connection, not yet prepared. */
    final Context open(boolean readonly, String exportName, boolean isTls) {
        if (Log.verbose()) {
            Log.debug(name() + ": open readonly=" + (readonly ? 1 : 0) + " exportname=\"" + exportName
                    + "\" tls=" + (isTls ? 1 : 0));
        }
        LayerHandle h;
        try {
            h = openHandle(readonly, exportName, isTls);
        } catch (RuntimeException e) {
            throw ReportedFailure.of("open", e);
        }
        return new Context(name(), h, readonly, exportName);
    }

    /** -v: one line per call into the layer, named by the layer, as nbdkit's server traces them. */
    final void trace(String call) {
        if (Log.verbose()) Log.debug(name() + ": " + call);
    }

    /** The global calls that travel down the stack, traced at the layer they reach. */
    final void tracedConfig(String key, String value) {
        trace("config key=" + key + ", value=" + value);
        config(key, value);
    }

    final void tracedConfigComplete() {
        trace("config_complete");
        configComplete();
    }

    final void tracedPreconnect(boolean readonly) {
        trace("preconnect");
        preconnect(readonly);
    }

    final List<Export> tracedListExports(boolean readonly, boolean isTls) {
        trace("list_exports readonly=" + (readonly ? 1 : 0) + " tls=" + (isTls ? 1 : 0));
        return listExports(readonly, isTls);
    }

    final String tracedDefaultExport(boolean readonly, boolean isTls) {
        trace("default_export readonly=" + (readonly ? 1 : 0) + " tls=" + (isTls ? 1 : 0));
        return defaultExport(readonly, isTls);
    }

    /** --help: the layer's paragraph, nbdkit's shape ({@code filter: NAME (LONGNAME)}, path, help). */
    final void printHelp(PrintStream out) {
        out.println(kind() + ": " + name() + (longname() != null ? " (" + longname() + ")" : ""));
        out.println("(" + path() + ")");
        if (description() != null) out.println(description());
        if (configHelp() != null) out.println(configHelp());
    }

    /** Where a class's code lives: its jar or class directory, else the layer's name. */
    static String codeLocation(Class<?> c, String fallback) {
        try {
            var source = c.getProtectionDomain().getCodeSource();
            if (source != null) return java.nio.file.Path.of(source.getLocation().toURI()).toString();
        } catch (java.net.URISyntaxException | SecurityException | IllegalArgumentException ignored) {
            // fall through to the name
        }
        return fallback;
    }
}
