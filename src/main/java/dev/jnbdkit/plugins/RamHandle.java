package dev.jnbdkit.plugins;

import dev.jnbdkit.spi.CacheMode;
import dev.jnbdkit.spi.FuaMode;
import dev.jnbdkit.spi.Handle;

/**
 * A handle whose data lives in this process's memory (or nowhere): it can do everything, and
 * nothing it does needs waiting for. Flush and cache have nothing to do, FUA is free (native),
 * and every connection sees the same data (multi-conn). Shared by the memory and null plugins.
 */
public interface RamHandle extends Handle {
    @Override default boolean canWrite() { return true; }
    @Override default boolean canFlush() { return true; }
    @Override default FuaMode canFua() { return FuaMode.NATIVE; }
    @Override default boolean canTrim() { return true; }
    @Override default boolean canZero() { return true; }
    @Override default boolean canFastZero() { return true; }
    @Override default boolean canExtents() { return true; }
    @Override default boolean canMultiConn() { return true; }
    @Override default CacheMode canCache() { return CacheMode.NATIVE; }
    @Override default void flush(int flags) {}
    @Override default void cache(long count, long offset, int flags) {}
}
