package dev.jnbdkit.backend;

import dev.jnbdkit.spi.BlockSize;
import dev.jnbdkit.spi.CacheMode;
import dev.jnbdkit.spi.Export;
import dev.jnbdkit.spi.ExtentSink;
import dev.jnbdkit.spi.FuaMode;
import dev.jnbdkit.spi.Handle;
import dev.jnbdkit.spi.IoBuffer;
import dev.jnbdkit.spi.OpenContext;
import dev.jnbdkit.spi.Plugin;
import dev.jnbdkit.spi.PluginException;
import dev.jnbdkit.spi.ThreadModel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;

/**
 * A configurable in-memory plugin for tests. Capabilities are public fields set before use;
 * every callback is counted and logged ("pwrite 0 512 flags=2"), and any callback can be made to
 * fail with a chosen errno. Storage covers the first {@link #storedBytes} bytes; beyond that the
 * disk reads as zeros and writes are dropped (so a large export costs no memory).
 */
public class FakePlugin implements Plugin {
    public long size = 1 << 20;
    public int storedBytes = 1 << 20;
    public boolean canWrite = true;
    public boolean canFlush = true;
    public FuaMode fua = FuaMode.EMULATE;
    public boolean canTrim = true;
    public boolean canZero = true;
    public boolean canFastZero = true;
    public boolean canExtents = false;
    public CacheMode cache = CacheMode.NONE;
    public boolean canMultiConn = false;
    public boolean rotational = false;
    public BlockSize blockSize = null;
    public String description = null;
    public String defaultExport = "";
    public List<Export> exports = null;
    public ThreadModel threadModel = ThreadModel.PARALLEL;
    /** Extents reported by {@link Handle#extents}: called with (offset, sink); default one DATA extent. */
    public BiConsumer<Long, ExtentSink> extentsBody = null;
    /** What {@link Handle#preadViews} answers, called with (count, offset); null: no views (use pread). */
    public java.util.function.BiFunction<Long, Long, MemorySegment[]> viewsBody = null;
    /** What {@link Handle#pwriteViews} answers, called with (count, offset); null: use pwrite. */
    public java.util.function.BiFunction<Long, Long, MemorySegment[]> writeViewsBody = null;

    /** callback name → errno to fail with. */
    public final Map<String, Integer> failWith = new ConcurrentHashMap<>();
    public final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
    public final List<String> log = Collections.synchronizedList(new ArrayList<>());
    public final List<String> openedExports = Collections.synchronizedList(new ArrayList<>());
    public final AtomicInteger openHandles = new AtomicInteger();

    private byte[] disk;

    @Override public String name() { return "fake"; }

    @Override public ThreadModel threadModel() { return threadModel; }

    @Override public List<Export> listExports(boolean readonly, boolean isTls) {
        count("list_exports");
        return exports;
    }

    @Override public String defaultExport(boolean readonly, boolean isTls) {
        count("default_export");
        return defaultExport;
    }

    public int calls(String name) {
        AtomicInteger n = calls.get(name);
        return n == null ? 0 : n.get();
    }

    public synchronized byte[] disk() {
        if (disk == null) disk = new byte[(int) Math.min(size, storedBytes)];
        return disk;
    }

    private void count(String name) {
        calls.computeIfAbsent(name, k -> new AtomicInteger()).incrementAndGet();
        Integer errno = failWith.get(name);
        if (errno != null) throw new PluginException(errno, name + " failed (test)");
    }

    @Override
    public Handle open(OpenContext context) {
        count("open");
        openedExports.add(context.exportName());
        openHandles.incrementAndGet();
        return new Handle() {
            @Override public void close() { count("close"); openHandles.decrementAndGet(); }
            @Override public String exportDescription() { count("export_description"); return description; }
            @Override public long getSize() { count("get_size"); return size; }
            @Override public BlockSize blockSize() { count("block_size"); return blockSize; }
            @Override public boolean isRotational() { count("is_rotational"); return rotational; }
            @Override public boolean canMultiConn() { count("can_multi_conn"); return canMultiConn; }
            @Override public boolean canWrite() { count("can_write"); return canWrite; }
            @Override public boolean canFlush() { count("can_flush"); return canFlush; }
            @Override public FuaMode canFua() { count("can_fua"); return fua; }
            @Override public boolean canTrim() { count("can_trim"); return canTrim; }
            @Override public boolean canZero() { count("can_zero"); return canZero; }
            @Override public boolean canFastZero() { count("can_fast_zero"); return canFastZero; }
            @Override public boolean canExtents() { count("can_extents"); return canExtents; }
            @Override public CacheMode canCache() { count("can_cache"); return cache; }

            @Override public void pread(IoBuffer buf, long offset, int flags) {
                log.add("pread " + offset + " " + buf.length() + " flags=" + flags);
                count("pread");
                MemorySegment seg = buf.segment();
                seg.fill((byte) 0);
                byte[] d = disk();
                long n = Math.max(0, Math.min(buf.length(), d.length - offset));
                if (n > 0) MemorySegment.copy(d, (int) offset, seg, ValueLayout.JAVA_BYTE, 0, (int) n);
            }

            // Offered always: a null answer from the bodies below means "use pread/pwrite".
            @Override public boolean offersReadViews() { return true; }

            @Override public boolean offersWriteViews() { return true; }

            @Override public MemorySegment[] preadViews(long count, long offset, int flags) {
                count("pread_views");
                return viewsBody == null ? null : viewsBody.apply(count, offset);
            }

            @Override public MemorySegment[] pwriteViews(long count, long offset, int flags) {
                count("pwrite_views");
                return writeViewsBody == null ? null : writeViewsBody.apply(count, offset);
            }

            @Override public void pwrite(IoBuffer buf, long offset, int flags) {
                log.add("pwrite " + offset + " " + buf.length() + " flags=" + flags);
                count("pwrite");
                byte[] d = disk();
                long n = Math.max(0, Math.min(buf.length(), d.length - offset));
                if (n > 0) MemorySegment.copy(buf.segment(), ValueLayout.JAVA_BYTE, 0, d, (int) offset, (int) n);
            }

            @Override public void flush(int flags) {
                log.add("flush flags=" + flags);
                count("flush");
            }

            @Override public void trim(long count, long offset, int flags) {
                log.add("trim " + offset + " " + count + " flags=" + flags);
                count("trim");
            }

            @Override public void zero(long count, long offset, int flags) {
                log.add("zero " + offset + " " + count + " flags=" + flags);
                count("zero");
                byte[] d = disk();
                long end = Math.min(d.length, offset + count);
                for (long i = offset; i < end; i++) d[(int) i] = 0;
            }

            @Override public void extents(long count, long offset, int flags, ExtentSink sink) {
                log.add("extents " + offset + " " + count + " flags=" + flags);
                count("extents");
                if (extentsBody != null) extentsBody.accept(offset, sink);
                else sink.add(offset, count, dev.jnbdkit.spi.Extent.DATA);
            }

            @Override public void cache(long count, long offset, int flags) {
                log.add("cache " + offset + " " + count + " flags=" + flags);
                count("cache");
            }
        };
    }
}
