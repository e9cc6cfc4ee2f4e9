package dev.jnbdkit.plugins.sh;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.PluginException;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Running children: stdin, stdout, stderr, exit status, $tmpdir, and killing what hangs. */
class ScriptRunnerTest {
    @TempDir Path tmp;

    private static List<String> sh(String script, String... args) {
        var l = new java.util.ArrayList<>(List.of("/bin/sh", "-c", script, "sh"));
        l.addAll(List.of(args));
        return l;
    }

    @Test
    void capturesBothStreamsAndTheStatus() {
        var r = new ScriptRunner(tmp).run(sh("printf out; printf err >&2; exit 3"), null);
        assertEquals(3, r.status());
        assertEquals("out", new String(r.stdout(), StandardCharsets.UTF_8));
        assertEquals("err", new String(r.stderr(), StandardCharsets.UTF_8));
    }

    @Test
    void tmpdirIsInTheEnvironmentAndStdinIsEmpty() {
        var r = new ScriptRunner(tmp).run(sh("echo \"$tmpdir\"; wc -c"), null);
        assertEquals(tmp + "\n0\n", new String(r.stdout(), StandardCharsets.UTF_8).replace(" ", ""));
    }

    @Test
    void writeDataArrivesOnStdin() {
        byte[] data = new byte[3 << 20];
        new java.util.Random(1).nextBytes(data);
        MemorySegment seg = Arena.ofAuto().allocate(data.length);
        MemorySegment.copy(data, 0, seg, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, data.length);
        var r = new ScriptRunner(tmp).run(sh("cat"), seg);
        assertEquals(0, r.status());
        assertArrayEquals(data, r.stdout());
    }

    @Test
    void aScriptThatDoesNotReadItsStdinIsNotAnError() {
        MemorySegment seg = Arena.ofAuto().allocate(8 << 20);
        var r = new ScriptRunner(tmp).run(sh("exit 0"), seg);
        assertEquals(0, r.status());
    }

    @Test
    void aProgramThatCannotRunFailsLikeAFailedExec() {
        var r = new ScriptRunner(tmp).run(List.of(tmp.toString(), "load"), null);
        assertEquals(1, r.status());
        assertEquals(tmp + ": Permission denied\n", new String(r.stderr(), StandardCharsets.UTF_8));
    }

    @Test
    void killAllEndsAHangingScriptAndItsChildren() throws Exception {
        ScriptRunner runner = new ScriptRunner(tmp);
        var call = CompletableFuture.supplyAsync(() -> runner.run(sh("sleep 600 & sleep 600; wait"), null));
        Thread.sleep(500);
        long started = System.nanoTime();
        runner.killAll();
        var failure = assertThrows(java.util.concurrent.ExecutionException.class, () -> call.get(30, TimeUnit.SECONDS));
        assertTrue(failure.getCause() instanceof PluginException p && p.errno() == Errno.ESHUTDOWN, failure.toString());
        assertTrue(System.nanoTime() - started < TimeUnit.SECONDS.toNanos(20));
        PluginException e = assertThrows(PluginException.class, () -> runner.run(sh("exit 0"), null));
        assertEquals(Errno.ESHUTDOWN, e.errno());
    }

    @Test
    void aTimeLimitKillsTheScript() {
        var r = new ScriptRunner(tmp).run(sh("sleep 600"), null, 300);
        assertEquals(128 + 9, r.status());
    }
}
