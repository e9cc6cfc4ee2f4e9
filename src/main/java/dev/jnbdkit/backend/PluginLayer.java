package dev.jnbdkit.backend;

import dev.jnbdkit.spi.Export;
import dev.jnbdkit.spi.Handle;
import dev.jnbdkit.spi.OpenContext;
import dev.jnbdkit.spi.Plugin;
import dev.jnbdkit.spi.PluginException;
import dev.jnbdkit.spi.ThreadModel;

import java.util.List;

/** The plugin at the bottom of the stack: its global callbacks as a layer. */
final class PluginLayer extends Layer {
    final Plugin plugin;

    PluginLayer(Plugin plugin) {
        super(null);
        this.plugin = plugin;
    }

    @Override String kind() { return "plugin"; }

    @Override String name() { return plugin.name(); }

    @Override String version() { return plugin.version(); }

    @Override String longname() { return plugin.longname(); }

    @Override String description() { return plugin.description(); }

    @Override String configHelp() { return plugin.configHelp(); }

    @Override String path() { return codeLocation(plugin.getClass(), plugin.name()); }

    @Override void load() { plugin.load(); }

    @Override boolean debugFlag(String flag, int value) { return plugin.debugFlag(flag, value); }

    @Override void unload() { plugin.unload(); }

    @Override void config(String key, String value) { plugin.config(key, value); }

    @Override void configComplete() { plugin.configComplete(); }

    @Override
    ThreadModel threadModel() {
        ThreadModel m = plugin.threadModel();
        return m == null ? ThreadModel.PARALLEL : m;
    }

    @Override void getReady(ThreadModel chosen) { plugin.getReady(); }

    @Override void afterFork() { plugin.afterFork(); }

    @Override void cleanup() { plugin.cleanup(); }

    @Override void preconnect(boolean readonly) { plugin.preconnect(readonly); }

    @Override
    List<Export> listExports(boolean readonly, boolean isTls) { return plugin.listExports(readonly, isTls); }

    @Override
    String defaultExport(boolean readonly, boolean isTls) { return plugin.defaultExport(readonly, isTls); }

    @Override
    LayerHandle openHandle(boolean readonly, String exportName, boolean isTls) {
        Handle h = plugin.open(new OpenContext(readonly, exportName, isTls));
        if (h == null) throw new PluginException("open: plugin returned no handle");
        return new PluginHandle(h);
    }
}
