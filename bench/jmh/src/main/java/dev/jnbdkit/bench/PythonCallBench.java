package dev.jnbdkit.bench;

import dev.jnbdkit.plugins.memory.MemoryPlugin;
import dev.jnbdkit.python.PythonPlugin;
import dev.jnbdkit.spi.Handle;
import dev.jnbdkit.spi.OpenContext;
import dev.jnbdkit.spi.Plugin;
import org.openjdk.jmh.annotations.*;

import java.util.concurrent.TimeUnit;

/**
 * The FFM call path into Python, through the plugin SPI exactly as the server calls it:
 * Handle.pread/pwrite on a loaded PythonPlugin (GIL ensure, buffer exporter + memoryview, call,
 * error check, release). {@code noop} is bench/jmh/noop.py (callbacks that do nothing: the cost of
 * the path alone); {@code ramdisk} is examples/python/ramdisk.py (the slice copies of a real plugin);
 * {@code memory} is the built-in Java memory plugin, for scale.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC"})
@State(Scope.Benchmark)
public class PythonCallBench {
    @Param({"noop", "ramdisk", "memory"})
    public String plugin;

    private Plugin p;
    private Handle h;
    private BenchBuffer b4k, b1m;
    private long off;

    @Setup
    public void setup() {
        if (plugin.equals("memory")) {
            p = new MemoryPlugin();
            p.load();
            p.config("size", "64M");
        } else {
            p = new PythonPlugin();
            p.load();
            p.config("script", plugin.equals("noop") ? "bench/jmh/noop.py" : "examples/python/ramdisk.py");
            p.config("size", "64M");
        }
        p.configComplete();
        p.getReady();
        h = p.open(new OpenContext(false, "", false));
        b4k = new BenchBuffer(4096);
        b1m = new BenchBuffer(1 << 20);
        // Give the disk data, so reads copy real pages.
        for (long o = 0; o < (64 << 20); o += 1 << 20) h.pwrite(b1m, o, 0);
    }

    @TearDown
    public void tearDown() {
        h.close();
        p.cleanup();
        p.unload();
    }

    private long next4k() {
        off = (off + 4096 * 1031) & ((64 << 20) - 1);
        return off;
    }

    @Benchmark
    public void pread4k() { h.pread(b4k, next4k(), 0); }

    @Benchmark
    public void pwrite4k() { h.pwrite(b4k, next4k(), 0); }

    @Benchmark
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public void pread1m() { h.pread(b1m, (next4k() & ~((1L << 20) - 1)), 0); }
}
