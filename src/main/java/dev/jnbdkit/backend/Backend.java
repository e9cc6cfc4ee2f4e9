package dev.jnbdkit.backend;

import dev.jnbdkit.log.Log;
import dev.jnbdkit.protocol.Nbd;
import dev.jnbdkit.spi.Export;
import dev.jnbdkit.spi.OpenContext;
import dev.jnbdkit.spi.Plugin;
import dev.jnbdkit.spi.PluginException;
import dev.jnbdkit.spi.ThreadModel;

import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * A configured plugin with nbdkit's semantics around it: what the server calls to list and
 * resolve exports and to open a connection's {@link ExportSession}. Protocol-neutral: it knows
 * NBD error codes but nothing of the wire.
 *
 * <p>Every plugin call goes through {@link #call}, which enforces SERIALIZE_ALL_REQUESTS (and
 * SERIALIZE_CONNECTIONS): one callback at a time across the server, open and close included. The
 * lock covers the plugin call only, never socket I/O, so a client that stops reading cannot
 * stall the others.
 */
public final class Backend {
    private final Plugin plugin;
    private final boolean readonly;
    private final ThreadModel threadModel;
    private final ReentrantLock requestLock;

    public Backend(Plugin plugin, boolean readonly) {
        this.plugin = plugin;
        this.readonly = readonly;
        this.threadModel = plugin.threadModel() == null ? ThreadModel.PARALLEL : plugin.threadModel();
        this.requestLock = threadModel.value <= ThreadModel.SERIALIZE_ALL_REQUESTS.value ? new ReentrantLock() : null;
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
        return call("open", () -> {
            var handle = plugin.open(new OpenContext(readonly, exportName, isTls));
            if (handle == null) throw new NbdError(Nbd.EIO, "open: plugin returned no handle");
            try {
                return new ExportSession(this, handle);
            } catch (RuntimeException e) {
                try { handle.close(); } catch (RuntimeException ignored) { }
                throw e;
            }
        });
    }

    /**
     * Runs a plugin callback under the thread model's global lock, turning its failure into an
     * {@link NbdError} (logged once: the plugin's own message; the client hears only which
     * callback failed).
     */
    <T> T call(String callback, Supplier<T> body) {
        return call(callback, false, false, body);
    }

    /** {@link #call} for a data command: FAST_ZERO and DF decide how ENOTSUP and EOVERFLOW map. */
    <T> T call(String callback, boolean fastZero, boolean df, Supplier<T> body) {
        if (requestLock != null) requestLock.lock();
        try {
            return body.get();
        } catch (PluginException e) {
            if (e.getMessage() != null && !e.getMessage().isEmpty()) Log.error(e.getMessage());
            throw new NbdError(ErrnoMapping.toNbd(e.errno(), fastZero, df), callback + " failed");
        } catch (NbdError e) {
            throw e;
        } catch (RuntimeException e) {
            Log.error(callback + ": " + e);
            throw new NbdError(Nbd.EIO, callback + " failed");
        } finally {
            if (requestLock != null) requestLock.unlock();
        }
    }

    /** {@link #call} for callbacks without a result. */
    void run(String callback, boolean fastZero, boolean df, Runnable body) {
        call(callback, fastZero, df, () -> {
            body.run();
            return null;
        });
    }
}
