package dev.jnbdkit.backend;

import dev.jnbdkit.log.Log;
import dev.jnbdkit.protocol.Nbd;
import dev.jnbdkit.spi.Export;
import dev.jnbdkit.spi.OpenContext;
import dev.jnbdkit.spi.Plugin;
import dev.jnbdkit.spi.PluginException;
import dev.jnbdkit.spi.ThreadModel;

import java.util.List;

/**
 * A configured plugin with nbdkit's semantics around it: what the server calls to list and
 * resolve exports and to open a connection's {@link ExportSession}. Protocol-neutral: it knows
 * NBD error codes but nothing of the wire.
 */
public final class Backend {
    private final Plugin plugin;
    private final boolean readonly;
    private final ThreadModel threadModel;

    public Backend(Plugin plugin, boolean readonly) {
        this.plugin = plugin;
        this.readonly = readonly;
        this.threadModel = plugin.threadModel() == null ? ThreadModel.PARALLEL : plugin.threadModel();
    }

    public Plugin plugin() { return plugin; }

    public String name() { return plugin.name(); }

    public boolean readonly() { return readonly; }

    /** The plugin's thread model (the server has no stricter one of its own). */
    public ThreadModel threadModel() { return threadModel; }

    /** preconnect: a client arrived. Throws {@link NbdError} to refuse it. */
    public void preconnect() {
        call("preconnect", () -> { plugin.preconnect(readonly); return null; });
    }

    /** The exports for NBD_OPT_LIST: the plugin's list, or just the default export. */
    public List<Export> listExports(boolean isTls) {
        List<Export> list = call("list_exports", () -> plugin.listExports(readonly, isTls));
        if (list != null) return list;
        String def = call("default_export", () -> plugin.defaultExport(readonly, isTls));
        return def == null ? List.of() : List.of(Export.named(def));
    }

    /**
     * The canonical name for the export a client asked for: "" resolves through default_export.
     * Returns null if there is no default export.
     */
    public String resolveExportName(String requested, boolean isTls) {
        if (!requested.isEmpty()) return requested;
        return call("default_export", () -> plugin.defaultExport(readonly, isTls));
    }

    /** Opens the plugin for one connection and asks its capabilities once. */
    public ExportSession open(String exportName, boolean isTls) {
        var handle = call("open", () -> plugin.open(new OpenContext(readonly, exportName, isTls)));
        if (handle == null) throw new NbdError(Nbd.EIO, "open: plugin returned no handle");
        try {
            return new ExportSession(this, handle);
        } catch (RuntimeException e) {
            try { handle.close(); } catch (RuntimeException ignored) { }
            throw e;
        }
    }

    /** Runs a plugin callback, turning its failure into an {@link NbdError} (and a log line). */
    static <T> T call(String callback, java.util.function.Supplier<T> body) {
        try {
            return body.get();
        } catch (PluginException e) {
            logFailure(callback, e);
            throw new NbdError(ErrnoMapping.toNbd(e.errno(), false, false), message(callback, e));
        } catch (NbdError e) {
            throw e;
        } catch (RuntimeException | Error e) {
            if (e instanceof VirtualMachineError vme && !(e instanceof OutOfMemoryError)) throw vme;
            Log.error(callback + ": " + e);
            throw new NbdError(Nbd.EIO, callback + " failed");
        }
    }

    static void logFailure(String callback, PluginException e) {
        if (e.getMessage() != null && !e.getMessage().isEmpty()) Log.error(e.getMessage());
    }

    /**
     * What the client is told: the callback that failed, never the plugin's own text (which is
     * logged, and may hold paths or tracebacks a client has no business seeing).
     */
    static String message(String callback, RuntimeException e) {
        return callback + " failed";
    }
}
