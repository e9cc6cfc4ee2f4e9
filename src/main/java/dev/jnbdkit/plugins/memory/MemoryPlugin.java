package dev.jnbdkit.plugins.memory;

import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.ExtentSink;
import dev.jnbdkit.spi.Flags;
import dev.jnbdkit.plugins.RamHandle;
import dev.jnbdkit.spi.Handle;
import dev.jnbdkit.spi.IoBuffer;
import dev.jnbdkit.spi.Nbdkit;
import dev.jnbdkit.spi.OpenContext;
import dev.jnbdkit.spi.Plugin;
import dev.jnbdkit.spi.PluginException;
import dev.jnbdkit.spi.Sizes;
import dev.jnbdkit.spi.ThreadModel;

import java.io.PrintStream;
import java.lang.foreign.MemorySegment;

/**
 * {@code memory}: a RAM disk, as nbdkit-memory-plugin(1). {@code [size=]SIZE} (required) and
 * {@code allocator=sparse|malloc}. All connections see the same disk, initially all zeros; it is
 * discarded when the server exits.
 */
public final class MemoryPlugin implements Plugin {
    private long size = -1;
    private Allocators.Allocator allocator = Allocators.Allocator.SPARSE;
    private volatile Store store;

    public MemoryPlugin() {}

    @Override public String name() { return "memory"; }

    @Override public String version() { return dev.jnbdkit.plugins.PluginVersion.VERSION; }

    @Override public String longname() { return "nbdkit memory plugin"; }

    @Override public String description() {
        return "A virtual memory (RAM disk) plugin: a sparse disk held in memory and discarded at exit.";
    }

    @Override public String configHelp() {
        return "size=<SIZE>  (required) Size of the backing disk\n"
                + "allocator=sparse|malloc[,mlock=true]|zstd  Backend allocation strategy";
    }

    @Override public String magicConfigKey() { return "size"; }

    @Override public void dumpPlugin(PrintStream out) {
        out.println("mlock=yes");
        out.println("zstd=" + (Allocators.zstdAvailable() ? "yes" : "no"));
    }

    @Override
    public void config(String key, String value) {
        switch (key) {
            case "size" -> size = Sizes.parse(value);
            case "allocator" -> allocator = Allocators.parse(value);
            default -> throw new PluginException(Errno.EINVAL, "unknown parameter '" + key + "'");
        }
    }

    @Override
    public void configComplete() {
        if (size < 0) {
            throw new PluginException(Errno.EINVAL, "you must specify size=<SIZE> on the command line");
        }
    }

    @Override public ThreadModel threadModel() { return ThreadModel.PARALLEL; }

    @Override
    public void getReady() {
        store();
    }

    private Store store() {
        Store s = store;
        if (s == null) {
            synchronized (this) {
                s = store;
                if (s == null) {
                    if (size < 0) configComplete();
                    s = Allocators.create(allocator, size);
                    Nbdkit.debug("memory: " + allocator + " allocator, size " + size);
                    store = s;
                }
            }
        }
        return s;
    }

    /** Bytes of memory in use for the disk (tests, debugging). */
    public long allocatedBytes() {
        Store s = store;
        return s == null ? 0 : s.allocatedBytes();
    }

    @Override
    public Class<? extends Handle> handleType() { return MemoryHandle.class; }

    @Override
    public Handle open(OpenContext context) {
        return new MemoryHandle(size, store());
    }

    /** One connection. All connections share the store, so the handle holds no state of its own. */
    private record MemoryHandle(long size, Store store) implements RamHandle {
        @Override public long getSize() { return size; }

        @Override public void pread(IoBuffer buf, long offset, int flags) {
            store.read(buf.segment(), offset);
        }

        @Override public boolean offersReadViews() { return true; }

        @Override public boolean offersWriteViews() { return store.offersWriteViews(); }

        /** Chunks are freed by the garbage collector (NativeAlloc), so views outlive a trim safely. */
        @Override public MemorySegment[] preadViews(long count, long offset, int flags) {
            return store.views(offset, count);
        }

        /** A write is only its bytes landing in memory: the server may read them straight in. */
        @Override public MemorySegment[] pwriteViews(long count, long offset, int flags) {
            return store.writableViews(offset, count);
        }

        @Override public void pwrite(IoBuffer buf, long offset, int flags) {
            store.write(buf.segment(), offset);
        }

        @Override public void trim(long count, long offset, int flags) {
            store.zero(offset, count);
        }

        @Override public void zero(long count, long offset, int flags) {
            store.zero(offset, count);
        }

        @Override public void extents(long count, long offset, int flags, ExtentSink extents) {
            store.extents(offset, count, Flags.has(flags, Flags.REQ_ONE), extents);
        }
    }
}
