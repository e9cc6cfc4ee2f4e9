package dev.jnbdkit.plugins;

import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.Plugin;
import dev.jnbdkit.spi.PluginException;
import dev.jnbdkit.spi.Sizes;

/**
 * What the built-in plugins whose one parameter is {@code [size=]SIZE} share (null, pattern,
 * full): the magic key, the parser, nbdkit's refusal of any other key and, where the size is
 * required, of a command line without it.
 */
public abstract class SizeOnlyPlugin implements Plugin {
    /** The disk's size in bytes; -1 until given, for a plugin that requires it. */
    protected long size;
    private final String missingSize;

    /** @param missingSize nbdkit's message when no size is given, or null when the size defaults to 0 */
    protected SizeOnlyPlugin(String missingSize) {
        this.missingSize = missingSize;
        this.size = missingSize == null ? 0 : -1;
    }

    @Override public String version() { return PluginVersion.VERSION; }

    @Override public String configHelp() { return "size=<SIZE>  (required) Size of the backing disk"; }

    @Override public String magicConfigKey() { return "size"; }

    @Override
    public void config(String key, String value) {
        if (key.equals("size")) size = Sizes.parse(value);
        else throw new PluginException(Errno.EINVAL, "unknown parameter '" + key + "'");
    }

    @Override
    public void configComplete() {
        if (size < 0) throw new PluginException(Errno.EINVAL, missingSize);
    }
}
