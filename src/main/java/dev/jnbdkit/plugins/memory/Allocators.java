package dev.jnbdkit.plugins.memory;

import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.PluginException;
import dev.jnbdkit.spi.Sizes;

/**
 * nbdkit's {@code allocator=} parameter (nbdkit-memory-plugin(1), "ALLOCATORS"), shared by every
 * plugin that keeps its disk in memory (memory, data): parsing it and making the {@link Store}.
 */
public final class Allocators {
    private Allocators() {}

    /**
     * The allocator type of {@code allocator=VALUE}: {@code sparse} or {@code malloc}. Options
     * after a comma are checked; {@code zstd} and {@code mlock=true} are refused (not built).
     */
    public static String parse(String value) {
        String[] parts = value.split(",");
        String type = parts[0];
        switch (type) {
            case "sparse", "malloc" -> { }
            case "zstd" -> throw new PluginException(Errno.EINVAL,
                    "allocator=zstd is not supported by this build (see --dump-plugin: zstd=no)");
            default -> throw new PluginException(Errno.EINVAL, "unknown allocator \"" + type + "\"");
        }
        for (int i = 1; i < parts.length; i++) {
            String p = parts[i];
            int eq = p.indexOf('=');
            String k = eq < 0 ? p : p.substring(0, eq);
            String v = eq < 0 ? "true" : p.substring(eq + 1);
            if (type.equals("malloc") && k.equals("mlock")) {
                if (Sizes.parseBool(v)) {
                    throw new PluginException(Errno.ENOTSUP,
                            "allocator=malloc: mlock is not supported by this build (see --dump-plugin: mlock=no)");
                }
            } else {
                throw new PluginException(Errno.EINVAL,
                        "allocator: unknown parameter \"" + k + "\" for allocator " + type);
            }
        }
        return type;
    }

    /** A zeroed store of {@code size} bytes for an allocator type from {@link #parse}. */
    public static Store create(String type, long size) {
        return type.equals("malloc") ? new FlatStore(size) : new SparseStore(size);
    }
}
