package dev.jnbdkit.plugins.memory;

import dev.jnbdkit.posix.MemoryLock;
import dev.jnbdkit.posix.Strerror;
import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.Nbdkit;
import dev.jnbdkit.spi.PluginException;
import dev.jnbdkit.spi.Sizes;

/**
 * nbdkit's {@code allocator=} parameter (nbdkit-memory-plugin(1), "ALLOCATORS"), shared by every
 * plugin that keeps its disk in memory (memory, data): parsing it and making the {@link Store}.
 */
public final class Allocators {
    private Allocators() {}

    /** A parsed {@code allocator=TYPE[,mlock=BOOL]}: {@code sparse}, {@code malloc} or {@code zstd}. */
    public record Allocator(String type, boolean mlock) {
        public static final Allocator SPARSE = new Allocator("sparse", false);

        public boolean sparse() { return type.equals("sparse"); }

        @Override public String toString() { return mlock ? type + ",mlock=true" : type; }
    }

    /**
     * {@code allocator=VALUE} as nbdkit reads it: the type, then comma-separated parameters, of
     * which only malloc takes one ({@code mlock}, a boolean; bare {@code mlock} means true). A
     * bad parameter gets nbdkit's two lines: what is wrong, then {@code unknown allocator "VALUE"}.
     * {@code zstd} needs the system's libzstd (loaded when the store is made).
     */
    public static Allocator parse(String value) {
        String[] parts = value.split(",", -1);
        String type = parts[0];
        switch (type) {
            case "sparse", "malloc", "zstd" -> { }
            default -> throw unknown(value);
        }
        boolean mlock = false;
        for (int i = 1; i < parts.length; i++) {
            if (!type.equals("malloc")) {
                Nbdkit.error("allocator=" + type + " does not take extra parameters");
                throw unknown(value);
            }
            String p = parts[i];
            int eq = p.indexOf('=');
            String k = eq < 0 ? p : p.substring(0, eq);
            if (!k.equals("mlock")) {
                Nbdkit.error("allocator=malloc: unknown parameter " + k);
                throw unknown(value);
            }
            if (eq < 0) {
                mlock = true;
            } else {
                try {
                    mlock = Sizes.parseBool(p.substring(eq + 1));
                } catch (PluginException e) {
                    Nbdkit.error(e.getMessage());
                    throw unknown(value);
                }
            }
        }
        return new Allocator(type, mlock);
    }

    /** Whether {@code allocator=zstd} can work here (libzstd loads): {@code --dump-plugin}'s {@code zstd=}. */
    public static boolean zstdAvailable() { return ZstdLib.available(); }

    private static PluginException unknown(String value) {
        return new PluginException(Errno.EINVAL, "unknown allocator \"" + value + "\"");
    }

    /** A zeroed store of {@code size} bytes for an allocator from {@link #parse}. */
    public static Store create(Allocator a, long size) {
        if (a.sparse()) return new SparseStore(size);
        if (a.type().equals("zstd")) return new ZstdStore(size);
        FlatStore s = new FlatStore(size);
        if (a.mlock()) {
            int e = MemoryLock.lock(s.block());
            if (e != 0) throw new PluginException(Errno.ENOMEM, "allocator=malloc: mlock: " + Strerror.message(e));
        }
        return s;
    }
}
