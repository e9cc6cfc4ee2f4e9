package dev.jnbdkit.backend;

import dev.jnbdkit.log.Log;
import dev.jnbdkit.spi.Export;
import dev.jnbdkit.spi.Filter;
import dev.jnbdkit.spi.Plugin;
import dev.jnbdkit.spi.ThreadModel;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The stack of layers a client talks to: filters in command-line order (the first is outermost),
 * then the plugin. It owns the layers' lifecycle in nbdkit's order: load (plugin first, then the
 * filters inside out); config and config_complete routed from the outermost layer down; the thread
 * model, the strictest of all; get_ready and after_fork inside out; per client preconnect,
 * list_exports / default_export and open from the top (each filter opening what is below it),
 * prepare inside out, finalize and close from the top; cleanup from the top, the plugin's last;
 * unload inside out (as nbdkit -v shows them).
 *
 * <p>Protocol-neutral: failures are {@link dev.jnbdkit.spi.PluginException}s with an errno; the
 * server turns them into NBD errors.
 */
public final class Stack {
    // Embedding with a plugin object of the program's: no registry look-up came first.
    static { ServerHost.install(); }

    /** Outermost first; the plugin last. */
    private final List<Layer> layers;
    private final PluginLayer plugin;
    private final boolean readonly;
    private volatile ThreadModel threadModel;

    private Stack(List<Layer> layers, PluginLayer plugin, boolean readonly) {
        this.layers = layers;
        this.plugin = plugin;
        this.readonly = readonly;
    }

    /** A stack of {@code filters} (outermost first) over {@code plugin}, nothing called yet. */
    public static Stack of(List<Filter> filters, Plugin plugin, boolean readonly) {
        PluginLayer p = new PluginLayer(plugin);
        List<Layer> layers = new ArrayList<>();
        layers.add(p);
        Layer below = p;
        for (int i = filters.size() - 1; i >= 0; i--) {
            below = new FilterLayer(filters.get(i), below);
            layers.add(below);
        }
        Collections.reverse(layers);
        return new Stack(List.copyOf(layers), p, readonly);
    }

    /** A plugin that is already configured, alone (in-JVM tests and embedding). */
    public static Stack of(Plugin plugin, boolean readonly) {
        return of(List.of(), plugin, readonly);
    }

    private Layer top() { return layers.getFirst(); }

    public Plugin plugin() { return plugin.plugin; }

    /** The plugin's name: what the log calls connections ({@code memory[1]}). */
    public String name() { return plugin.name(); }

    public boolean readonly() { return readonly; }

    /**
     * True when every layer is jnbdkit's own Java code, the python plugin (which runs native
     * code) excepted: then nothing in the process writes to descriptors 0 and 1 behind the JVM's
     * back (the sh plugin's scripts get their own stdin and stdout). Jar plugins and filters are
     * the user's and may, so they are not.
     */
    public boolean onlyBuiltInJava() {
        ClassLoader ours = Stack.class.getClassLoader();
        for (Layer l : layers) {
            Object impl = l instanceof FilterLayer fl ? fl.filter : plugin.plugin;
            if (impl.getClass().getClassLoader() != ours || impl.getClass().getName().startsWith("dev.jnbdkit.python.")) {
                return false;
            }
        }
        return true;
    }

    /** The filters, outermost first. */
    public List<Filter> filters() {
        List<Filter> f = new ArrayList<>();
        for (Layer l : layers) if (l instanceof FilterLayer fl) f.add(fl.filter);
        return f;
    }

    // ---------------------------------------------------------------------------------------------
    // Start-up and exit

    /** Loads the plugin, then the filters from the innermost out. */
    public void load() {
        for (int i = layers.size() - 1; i >= 0; i--) {
            Layer l = layers.get(i);
            l.trace("load");
            l.load();
        }
    }

    /**
     * {@code -D NAME.FLAG=VALUE}: sets the flag of every layer called NAME; false if none has it
     * (nbdkit's own {@code nbdkit.*} flags included: this server has none).
     */
    public boolean debugFlag(String layer, String flag, int value) {
        boolean known = false;
        for (Layer l : layers) {
            if (l.name().equals(layer) && l.debugFlag(flag, value)) known = true;
        }
        return known;
    }

    /** The key a bare command-line word belongs to: the plugin's (filters have none). */
    public String magicConfigKey() { return plugin.plugin.magicConfigKey(); }

    /** One {@code key=value}: to the outermost layer, which passes on what is not its own. */
    public void config(String key, String value) { top().tracedConfig(key, value); }

    public void configComplete() { top().tracedConfigComplete(); }

    /** The strictest thread model of every layer (asked once, after configuration). */
    public ThreadModel threadModel() {
        ThreadModel m = threadModel;
        if (m == null) {
            m = ThreadModel.PARALLEL;
            for (Layer l : layers) m = m.stricter(l.threadModel());
            threadModel = m;
        }
        return m;
    }

    /** get_ready, from the plugin outwards. */
    public void getReady() {
        ThreadModel m = threadModel();
        for (int i = layers.size() - 1; i >= 0; i--) {
            Layer l = layers.get(i);
            l.trace(l instanceof FilterLayer ? "get_ready thread_model=" + m.value : "get_ready");
            l.getReady(m);
        }
    }

    /** after_fork, from the plugin outwards. */
    public void afterFork() {
        for (int i = layers.size() - 1; i >= 0; i--) {
            Layer l = layers.get(i);
            l.trace("after_fork");
            l.afterFork();
        }
    }

    /** cleanup, from the outermost filter in, the plugin last. Every layer is called; failures are logged. */
    public void cleanup() {
        for (Layer l : layers) {
            try {
                l.trace("cleanup");
                l.cleanup();
            } catch (RuntimeException e) {
                Log.error("cleanup: " + l.name() + ": " + e.getMessage());
            }
        }
    }

    /** unload, as nbdkit: the plugin first, then the filters from the innermost out. Every layer is called. */
    public void unload() {
        for (Layer l : layers.reversed()) {
            try {
                l.trace("unload " + l.kind());
                l.unload();
            } catch (RuntimeException e) {
                Log.error("unload: " + l.name() + ": " + e.getMessage());
            }
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Per client

    /** preconnect: a client arrived. Throws to refuse it. */
    public void preconnect() {
        try {
            top().tracedPreconnect(readonly);
        } catch (RuntimeException e) {
            throw ReportedFailure.of("preconnect", e);
        }
    }

    /** The exports for NBD_OPT_LIST: the stack's list, or just the default export. */
    public List<Export> listExports(boolean isTls) {
        List<Export> list;
        try {
            list = top().tracedListExports(readonly, isTls);
        } catch (RuntimeException e) {
            throw ReportedFailure.of("list_exports", e);
        }
        if (list != null) return list;
        String def = defaultExport(isTls);
        return def == null ? List.of() : List.of(Export.named(def));
    }

    /** The canonical name for the export a client asked for ("" resolves through default_export), or null. */
    public String resolveExportName(String requested, boolean isTls) {
        return requested.isEmpty() ? defaultExport(isTls) : requested;
    }

    private String defaultExport(boolean isTls) {
        try {
            return top().tracedDefaultExport(readonly, isTls);
        } catch (RuntimeException e) {
            throw ReportedFailure.of("default_export", e);
        }
    }

    /**
     * Opens every layer for one connection (each filter opening what is below it) and prepares
     * them from the plugin outwards. Returns the outermost layer's context; on failure everything
     * opened is closed again.
     */
    public Context open(String exportName, boolean isTls) {
        Context top = top().open(readonly, exportName, isTls);
        try {
            top.prepareContext();
        } catch (RuntimeException e) {
            close(top);
            throw e;
        }
        return top;
    }

    /**
     * Finalizes (from the top) and closes (from the top) a connection's layers. A finalize
     * failure is logged; the connection is ending anyway.
     */
    public void close(Context top) {
        try {
            top.finalizeContext();
        } catch (RuntimeException e) {
            // logged by the context
        } finally {
            top.closeContext();
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Informational output

    /** --version: one line per filter (outermost first), then the plugin's. */
    public void printVersions(PrintStream out, String serverVersion) {
        for (Layer l : layers) out.println(l.name() + " " + (l.version() != null ? l.version() : serverVersion));
    }

    /** --help: a paragraph per filter (outermost first), then the plugin's. */
    public void printHelp(PrintStream out) {
        for (Layer l : layers) {
            l.printHelp(out);
            if (l != plugin) out.println();
        }
    }

    /** Where the plugin's code lives (--dump-plugin's {@code path=}). */
    public String pluginPath() { return plugin.path(); }
}
