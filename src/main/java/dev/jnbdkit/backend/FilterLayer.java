package dev.jnbdkit.backend;

import dev.jnbdkit.spi.Export;
import dev.jnbdkit.spi.Filter;
import dev.jnbdkit.spi.FilterHandle;
import dev.jnbdkit.spi.Next;
import dev.jnbdkit.spi.NextBackend;
import dev.jnbdkit.spi.Nbdkit;
import dev.jnbdkit.spi.OpenContext;
import dev.jnbdkit.spi.ThreadModel;

import java.util.List;

/**
 * A filter in front of the next layer: its global callbacks as a layer. The {@link NextBackend}
 * the filter receives is the rest of the stack, so a callback the filter does not implement
 * passes on unchanged (the SPI's defaults).
 */
final class FilterLayer extends Layer {
    final Filter filter;
    private final NextBackend below;

    FilterLayer(Filter filter, Layer next) {
        super(next);
        this.filter = filter;
        this.below = new Below(next);
    }

    @Override String kind() { return "filter"; }

    @Override String name() { return filter.name(); }

    @Override String version() { return filter.version(); }

    @Override String longname() { return filter.longname(); }

    @Override String description() { return filter.description(); }

    @Override String configHelp() { return filter.configHelp(); }

    @Override String path() { return codeLocation(filter.getClass(), filter.name()); }

    @Override void load() { filter.load(); }

    @Override boolean debugFlag(String flag, int value) { return filter.debugFlag(flag, value); }

    @Override void unload() { filter.unload(); }

    @Override void config(String key, String value) { filter.config(below, key, value); }

    @Override void configComplete() { filter.configComplete(below); }

    @Override
    ThreadModel threadModel() {
        ThreadModel m = filter.threadModel();
        return m == null ? ThreadModel.PARALLEL : m;
    }

    @Override void getReady(ThreadModel chosen) { filter.getReady(chosen); }

    @Override void afterFork() { filter.afterFork(below); }

    @Override void cleanup() { filter.cleanup(below); }

    @Override void preconnect(boolean readonly) { filter.preconnect(below, readonly); }

    @Override
    List<Export> listExports(boolean readonly, boolean isTls) { return filter.listExports(below, readonly, isTls); }

    @Override
    String defaultExport(boolean readonly, boolean isTls) { return filter.defaultExport(below, readonly, isTls); }

    @Override
    LayerHandle openHandle(boolean readonly, String exportName, boolean isTls) {
        FilterLayerHandle h = new FilterLayerHandle(next, below, isTls);
        try {
            FilterHandle fh = filter.open(h, new OpenContext(readonly, exportName, isTls));
            h.setHandle(fh == null ? FilterHandle.PASS_THROUGH : fh);
        } catch (RuntimeException e) {
            // The layers below that the filter opened before failing are closed, inner last.
            Context opened = h.next();
            if (opened != null) opened.closeContext();
            throw e;
        }
        return h;
    }

    /** The rest of the stack as the filter's global callbacks see it. */
    private record Below(Layer next) implements NextBackend {
        @Override public void config(String key, String value) { next.tracedConfig(key, value); }

        @Override public void configComplete() { next.tracedConfigComplete(); }

        @Override public void preconnect(boolean readonly) { next.tracedPreconnect(readonly); }

        @Override public List<Export> listExports(boolean readonly, boolean isTls) {
            return next.tracedListExports(readonly, isTls);
        }

        @Override public String defaultExport(boolean readonly, boolean isTls) {
            return next.tracedDefaultExport(readonly, isTls);
        }

        @Override public Next openContext(boolean readonly, String exportName) {
            return next.open(readonly, exportName, Nbdkit.isTls());
        }
    }
}
