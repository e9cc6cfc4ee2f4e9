package dev.jnbdkit.spi;

import java.util.List;

/**
 * The layers below a filter outside any one connection's data calls (nbdkit's
 * {@code nbdkit_backend} and the {@code nbdkit_next_*} functions of the global callbacks). What a
 * filter's global callbacks call to pass a call on, and where it opens manual contexts.
 */
public interface NextBackend {
    /** Passes a {@code key=value} parameter on to the next layer. */
    void config(String key, String value);

    void configComplete();

    void preconnect(boolean readonly);

    /** The next layer's exports, or null if it lists none of its own (just the default export). */
    List<Export> listExports(boolean readonly, boolean isTls);

    /** The next layer's canonical name for the default export, or null if there is none. */
    String defaultExport(boolean readonly, boolean isTls);

    /**
     * Opens a new context of the next layer under the filter's own control
     * (nbdkit_next_context_open): the filter must {@link Next#prepareContext} it before use, then
     * {@link Next#finalizeContext} and {@link Next#closeContext} it when done. Throws {@link PluginException}
     * if the next layer cannot open.
     */
    Next openContext(boolean readonly, String exportName);
}
