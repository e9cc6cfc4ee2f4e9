package dev.jnbdkit.backend;

import dev.jnbdkit.filters.nofilter.NoFilter;
import dev.jnbdkit.server.NbdError;
import dev.jnbdkit.spi.CacheMode;
import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.Export;
import dev.jnbdkit.spi.Filter;
import dev.jnbdkit.spi.FilterContext;
import dev.jnbdkit.spi.FilterHandle;
import dev.jnbdkit.spi.FuaMode;
import dev.jnbdkit.spi.IoBuffer;
import dev.jnbdkit.spi.Next;
import dev.jnbdkit.spi.NextBackend;
import dev.jnbdkit.spi.OpenContext;
import dev.jnbdkit.spi.PluginException;
import dev.jnbdkit.spi.ThreadModel;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The stack of layers: a pass-through filter changes nothing (every command, every answer, every
 * plugin call the same through two filters as through none), and the lifecycle runs in nbdkit's
 * order through a filter that records what it sees.
 */
class StackTest {

    /** Plugin configurations covering each answer's values. */
    static Stream<Consumer<FakePlugin>> configurations() {
        return Stream.of(
                p -> {},
                p -> { p.fua = FuaMode.NATIVE; p.canExtents = true; p.cache = CacheMode.NATIVE; },
                p -> { p.fua = FuaMode.NONE; p.canZero = false; p.cache = CacheMode.EMULATE; },
                p -> { p.canWrite = false; },
                p -> { p.canTrim = false; p.canFastZero = false; p.canMultiConn = true; p.rotational = true; },
                p -> { p.canFlush = false; p.fua = FuaMode.NONE; p.failWith.put("zero", Errno.ENOTSUP); },
                p -> { p.failWith.put("pread", Errno.EIO); p.failWith.put("pwrite", Errno.ENOSPC); },
                p -> { p.failWith.put("trim", Errno.EPERM); p.failWith.put("flush", Errno.ESHUTDOWN); });
    }

    /** Everything a client can do, recorded as text: answers, data read, NBD error codes. */
    private static List<String> exercise(Stack stack, FakePlugin p) {
        List<String> out = new ArrayList<>();
        try (ExportSession s = ExportSession.open(stack)) {
            out.add("write=" + s.canWrite() + " flush=" + s.canFlush() + " fua=" + s.canFua() + " trim=" + s.canTrim()
                    + " zero=" + s.canZero() + " fastzero=" + s.canFastZero() + " extents=" + s.canExtents()
                    + " cache=" + s.canCache());
            IoBuffer b = BufferPool.shared().allocate(4096);
            for (int i = 0; i < 4096; i++) b.segment().set(ValueLayout.JAVA_BYTE, i, (byte) i);
            if (s.canWrite()) {
                out.add(attempt(() -> s.write(b, 8192, false)));
                if (s.canFua()) out.add(attempt(() -> s.write(b, 0, true)));
                if (s.canTrim()) out.add(attempt(() -> s.trim(512, 1024, s.canFua())));
                out.add(attempt(() -> s.zero(3 << 20 >> 2, 4096, true, s.canFua(), false)));
                if (s.canFastZero()) out.add(attempt(() -> s.zero(512, 0, false, false, true)));
            }
            if (s.canFlush()) out.add(attempt(s::flush));
            out.add(attempt(() -> s.read(b, 8192, false)));
            out.add(Arrays.toString(Arrays.copyOf(b.segment().toArray(ValueLayout.JAVA_BYTE), 16)));
            if (s.canCache()) out.add(attempt(() -> s.cache(3 << 20 >> 2, 0)));
            ExtentList ex = s.extents(100000, 0, false);
            out.add("extents " + Arrays.toString(Arrays.copyOf(ex.lengths(), ex.count()))
                    + Arrays.toString(Arrays.copyOf(ex.types(), ex.count())));
            b.release();
        }
        out.addAll(p.log);
        return out;
    }

    private static String attempt(Runnable r) {
        try {
            r.run();
            return "ok";
        } catch (NbdError e) {
            return "error " + e.code() + " " + e.getMessage();
        }
    }

    @ParameterizedTest
    @MethodSource("configurations")
    void twoPassThroughFiltersChangeNothing(Consumer<FakePlugin> config) {
        FakePlugin alone = new FakePlugin();
        FakePlugin behind = new FakePlugin();
        config.accept(alone);
        config.accept(behind);
        List<String> direct = exercise(Stack.of(alone, false), alone);
        List<String> filtered = exercise(Stack.of(List.of(new NoFilter(), new NoFilter()), behind, false), behind);
        assertEquals(direct, filtered);
        assertEquals(alone.calls.keySet(), behind.calls.keySet(), "the plugin is asked the same things");
        for (String k : alone.calls.keySet()) assertEquals(alone.calls(k), behind.calls(k), k);
    }

    @Test
    void readonlyThroughFiltersToo() {
        FakePlugin p = new FakePlugin();
        try (ExportSession s = ExportSession.open(Stack.of(List.of(new NoFilter()), p, true))) {
            assertEquals(false, s.canWrite());
            assertEquals(false, s.canZero());
        }
        assertEquals(0, p.calls("can_write"), "a read-only context never asks the plugin");
    }

    /** A filter that records each callback it sees, for the order of the lifecycle. */
    private static final class Recorder implements Filter {
        final String name;
        final List<String> log;

        Recorder(String name, List<String> log) {
            this.name = name;
            this.log = log;
        }

        @Override public String name() { return name; }

        @Override public void load() { log.add(name + " load"); }

        @Override public void unload() { log.add(name + " unload"); }

        @Override public void config(NextBackend next, String key, String value) {
            if (key.equals(name)) log.add(name + " config " + value);
            else next.config(key, value);
        }

        @Override public void configComplete(NextBackend next) {
            log.add(name + " config_complete");
            next.configComplete();
        }

        @Override public ThreadModel threadModel() {
            return name.equals("inner") ? ThreadModel.SERIALIZE_REQUESTS : ThreadModel.PARALLEL;
        }

        @Override public void getReady(ThreadModel m) { log.add(name + " get_ready " + m.nbdkitName()); }

        @Override public void afterFork(NextBackend b) { log.add(name + " after_fork"); }

        @Override public void cleanup(NextBackend b) { log.add(name + " cleanup"); }

        @Override public List<Export> listExports(NextBackend next, boolean readonly, boolean isTls) {
            log.add(name + " list_exports");
            return next.listExports(readonly, isTls);
        }

        @Override public FilterHandle open(FilterContext context, OpenContext request) {
            log.add(name + " open");
            context.open(request.readonly(), request.exportName() + "+" + name);
            log.add(name + " opened");
            return new FilterHandle() {
                @Override public void prepare(Next next, boolean readonly) { log.add(name + " prepare"); }

                @Override public void finalize(Next next) { log.add(name + " finalize"); }

                @Override public void close() { log.add(name + " close"); }
            };
        }
    }

    @Test
    void lifecycleInNbdkitsOrder() {
        List<String> order = new ArrayList<>();
        FakePlugin p = new FakePlugin() {
            @Override public void load() { order.add("plugin load"); }
            @Override public void unload() { order.add("plugin unload"); }
            @Override public void config(String key, String value) { order.add("plugin config " + key + "=" + value); }
            @Override public void configComplete() { order.add("plugin config_complete"); }
            @Override public void getReady() { order.add("plugin get_ready"); }
            @Override public void afterFork() { order.add("plugin after_fork"); }
            @Override public void cleanup() { order.add("plugin cleanup"); }
        };
        Stack s = Stack.of(List.of(new Recorder("outer", order), new Recorder("inner", order)), p, false);
        s.load();
        s.config("inner", "1");
        s.config("outer", "2");
        s.config("size", "3");
        s.configComplete();
        assertEquals(ThreadModel.SERIALIZE_REQUESTS, s.threadModel(), "the strictest of every layer");
        s.getReady();
        s.afterFork();
        s.listExports(false);
        Context c = s.open("x", false);
        s.close(c);
        s.cleanup();
        s.unload();
        assertEquals(List.of("plugin load", "inner load", "outer load",
                "inner config 1", "outer config 2", "plugin config size=3",
                "outer config_complete", "inner config_complete", "plugin config_complete",
                "plugin get_ready", "inner get_ready serialize_requests", "outer get_ready serialize_requests",
                "plugin after_fork", "inner after_fork", "outer after_fork",
                "outer list_exports", "inner list_exports",
                "outer open", "inner open", "inner opened", "outer opened",
                "inner prepare", "outer prepare",
                "outer finalize", "inner finalize",
                "outer close", "inner close",
                "outer cleanup", "inner cleanup", "plugin cleanup",
                "plugin unload", "inner unload", "outer unload"), order);
        assertEquals(List.of("x+outer+inner"), p.openedExports, "each filter may change what the next layer opens");
        assertEquals(0, p.openHandles.get());
    }

    @Test
    void aFilterFailureReachesTheClientAsItsErrnoAndNothingLeaks() {
        FakePlugin p = new FakePlugin();
        Filter failing = new Filter() {
            @Override public String name() { return "failing"; }

            @Override public FilterHandle open(FilterContext context, OpenContext request) {
                context.open(request.readonly(), request.exportName());
                return new FilterHandle() {
                    @Override public void pread(Next next, IoBuffer buf, long offset, int flags) {
                        throw new PluginException(Errno.ENOSPC, "failing: no room");
                    }

                    @Override public void flush(Next next, int flags) {
                        throw new IllegalStateException("a bug in the filter");
                    }
                };
            }
        };
        try (ExportSession s = ExportSession.open(Stack.of(List.of(failing), p, false))) {
            IoBuffer b = BufferPool.shared().allocate(512);
            assertEquals(dev.jnbdkit.protocol.Nbd.ENOSPC, assertThrows(NbdError.class, () -> s.read(b, 0, false)).code());
            assertEquals(dev.jnbdkit.protocol.Nbd.EIO, assertThrows(NbdError.class, s::flush).code());
            b.release();
        }
        assertEquals(0, p.openHandles.get());
    }

    @Test
    void aFilterThatFailsInOpenClosesWhatItOpened() {
        FakePlugin p = new FakePlugin();
        Filter failing = new Filter() {
            @Override public String name() { return "failing"; }

            @Override public FilterHandle open(FilterContext context, OpenContext request) {
                context.open(request.readonly(), request.exportName());
                throw new PluginException(Errno.EPERM, "failing: not today");
            }
        };
        assertEquals(dev.jnbdkit.protocol.Nbd.EPERM,
                assertThrows(NbdError.class, () -> ExportSession.open(Stack.of(List.of(failing), p, false))).code());
        assertEquals(1, p.calls("open"));
        assertEquals(0, p.openHandles.get(), "the plugin's handle is closed again");
    }

    @Test
    void debugFlagsReachTheLayerOfThatName() {
        List<String> seen = new ArrayList<>();
        Filter withFlag = new Filter() {
            @Override public String name() { return "flagged"; }

            @Override public boolean debugFlag(String flag, int value) {
                if (!flag.equals("verbose")) return false;
                seen.add(flag + "=" + value);
                return true;
            }
        };
        Stack s = Stack.of(List.of(new NoFilter(), withFlag), new FakePlugin(), false);
        assertEquals(true, s.debugFlag("flagged", "verbose", 2));
        assertEquals(false, s.debugFlag("flagged", "other", 1), "a flag the filter does not have");
        assertEquals(false, s.debugFlag("nofilter", "verbose", 1), "a filter without flags");
        assertEquals(false, s.debugFlag("fake", "verbose", 1), "the plugin has none either");
        assertEquals(List.of("verbose=2"), seen);
    }
}
