package dev.jnbdkit.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * The exitlast and exitwhen filters: the server shuts itself down (exit status 0) when the last
 * client leaves, or once an event happened and no client is left; new clients are refused after
 * the event. Each under jnbdkit and Debian's nbdkit.
 */
class ExitFiltersIT extends ItBase {
    private static final Duration EXIT = Duration.ofSeconds(60);

    @Test
    void exitlastWaitsForTheFirstClientThenExitsAfterTheLast() {
        String two = """
                import sys, nbd
                a = nbd.NBD(); a.connect_uri(sys.argv[1])
                b = nbd.NBD(); b.connect_uri(sys.argv[1])
                a.shutdown(); del a
                c = nbd.NBD(); c.connect_uri(sys.argv[1])   # the server is still there for c
                print("c reads", c.pread(512, 0) == bytes(512))
                b.shutdown(); c.shutdown()
                """;
        for (String server : Differential.servers()) {
            Server s = Differential.unix(server, tmp.resolve("el" + Math.abs(server.hashCode())),
                    "--filter=exitlast", "memory", "1M");
            Server.sleep(1500);
            assertTrue(s.isAlive(), "exited before any client\n" + s.describe());
            assertEquals("c reads True\n", python(two, s.uri()).ok().out());
            assertEquals(0, s.awaitExit(EXIT), s.describe());
        }
    }

    /** The op lines of a stats file with the timings taken out. */
    static String untimed(String stats) {
        return stats.lines()
                .filter(l -> !l.startsWith(" "))
                .map(l -> l.replaceAll("\\d+\\.\\d{6} s", "T s").replaceAll(", [^,]*/s( op| total)?", ", R/s$1"))
                .reduce("", (x, y) -> x + y + "\n");
    }

    @Test
    void exitlastOverStatsWritesTheStatsAndExits() throws IOException {
        Path flaky = tmp.resolve("flaky.py");
        Files.writeString(flaky, resource("flaky.py"));
        List<List<String>> plugins = List.of(List.of("memory", "25M"), List.of("python", flaky.toString(), "size=26214400"));
        for (List<String> plugin : plugins) {
            List<String> got = new ArrayList<>();
            for (String server : Differential.servers()) {
                Path stats = tmp.resolve("stats-" + System.nanoTime() + ".txt");
                List<String> a = new ArrayList<>(List.of("--filter=exitlast", "--filter=stats"));
                a.addAll(plugin);
                a.add("statsfile=" + stats);
                Server s = Differential.unix(server, tmp.resolve("es" + System.nanoTime()), a.toArray(String[]::new));
                Cmd.of("qemu-io", "-f", "raw", "-c", "write -P 0x55 0 1M", "-c", "write 4k 4k", "-c", "read 0 64k",
                        "-c", "read 1M 512", "-c", "flush", "-c", "discard 2M 1M", "-c", "write -z 8M 64k", s.uri()).ok();
                assertEquals(0, s.awaitExit(EXIT), s.describe());
                String text = Files.readString(stats);
                assertTrue(text.startsWith("total: "), text);
                got.add(untimed(text));
            }
            assertEquals(got.get(1), got.get(0), "stats lines differ from nbdkit's over " + plugin);
            assertTrue(got.get(0).contains("\nread: 2 ops, T s, 64.50 KiB"), got.get(0));
        }
    }

    private void clientSeesTheEventAndTheServerExits(String server, String event, Runnable happen, String... more) {
        List<String> a = new ArrayList<>(List.of("--filter=exitwhen", "memory", "1M", event, "exit-when-poll=1"));
        a.addAll(List.of(more));
        Server s = Differential.unix(server, tmp.resolve("ew" + System.nanoTime()), a.toArray(String[]::new));
        Path trigger = tmp.resolve("trigger-" + System.nanoTime());
        String script = """
                import sys, time, nbd
                a = nbd.NBD(); a.connect_uri(sys.argv[1])
                print("before", a.pread(512, 0) == bytes(512))
                open(sys.argv[2], "w").write("go")       # the test waits for this, then makes the event happen
                time.sleep(3)
                try:
                    b = nbd.NBD(); b.connect_uri(sys.argv[1]); b.pread(512, 0)
                    print("new client served")
                except nbd.Error:
                    print("new client refused")
                print("old client still served", a.pread(512, 0) == bytes(512))
                a.shutdown()
                """;
        CompletableFuture<Cmd.Result> client = CompletableFuture.supplyAsync(
                () -> python(script, s.uri(), trigger.toString()));
        for (int i = 0; i < 600 && !Files.exists(trigger); i++) Server.sleep(100);
        happen.run();
        Cmd.Result r = client.join().ok();
        assertEquals("before True\nnew client refused\nold client still served True\n", r.out(), server);
        assertEquals(0, s.awaitExit(EXIT), s.describe());
    }

    private static void touch(Path p) {
        try {
            Files.writeString(p, "");
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void exitWhenFileCreated() {
        for (String server : Differential.servers()) {
            Path f = tmp.resolve("stop-" + Math.abs(server.hashCode()));
            clientSeesTheEventAndTheServerExits(server, "exit-when-file-created=" + f, () -> touch(f));
        }
    }

    @Test
    void exitWhenFileDeletedWhileIdle() throws IOException {
        for (String server : Differential.servers()) {
            Path f = tmp.resolve("keep-" + Math.abs(server.hashCode()));
            touch(f);
            Server s = Differential.unix(server, tmp.resolve("fd" + Math.abs(server.hashCode())),
                    "--filter=exitwhen", "memory", "1M", "exit-when-file-deleted=" + f, "exit-when-poll=1");
            Cmd.of("nbdinfo", "--size", s.uri()).ok();
            Server.sleep(1500);
            assertTrue(s.isAlive(), s.describe());
            Files.delete(f);
            assertEquals(0, s.awaitExit(EXIT), s.describe());
        }
    }

    @Test
    void exitWhenScriptSaysSo() {
        for (String server : Differential.servers()) {
            Path f = tmp.resolve("flag-" + Math.abs(server.hashCode()));
            clientSeesTheEventAndTheServerExits(server,
                    "exit-when-script=if test -f " + f + "; then exit 88; fi; exit 0", () -> touch(f));
        }
    }

    @Test
    void exitWhenProcessExits() throws IOException {
        for (String server : Differential.servers()) {
            Process sleeper = new ProcessBuilder("sleep", "600").start();
            clientSeesTheEventAndTheServerExits(server, "exit-when-process-exits=" + sleeper.pid(), () -> {
                sleeper.destroy();
                try {
                    sleeper.waitFor();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
        }
    }

    @Test
    void exitWhenPipeClosed() throws Exception {
        for (String server : Differential.servers()) {
            Path fifo = tmp.resolve("pipe-" + Math.abs(server.hashCode()));
            Cmd.of("mkfifo", fifo.toString()).ok();
            // Opening the write end blocks until the server's shell opens the read end as fd 3.
            CompletableFuture<FileOutputStream> writer = CompletableFuture.supplyAsync(() -> {
                try {
                    return new FileOutputStream(fifo.toFile());
                } catch (IOException e) {
                    throw new AssertionError(e);
                }
            });
            Path sock = tmp.resolve("pc" + Math.abs(server.hashCode()));
            Server s = Server.startAndWait(List.of("/bin/sh", "-c", "exec " + server + " -f -U " + sock
                    + " --filter=exitwhen memory 1M exit-when-pipe-closed=3 exit-when-poll=1 3<" + fifo), sock, 0);
            FileOutputStream w = writer.get();
            Cmd.of("nbdinfo", "--size", s.uri()).ok();
            Server.sleep(1500);
            assertTrue(s.isAlive(), s.describe());
            w.close();
            assertEquals(0, s.awaitExit(EXIT), s.describe());
        }
    }

    @Test
    void badParametersFailAsInNbdkit() {
        for (String bad : List.of("exit-when-poll=x", "exit-when-pipe-closed=x", "exit-when-process-exits=x",
                "exit-when-process-exits=0", "exit-when-foo=1")) {
            Differential.assertSameRefusal("--filter=exitwhen", "memory", "1M", bad);
        }
    }
}
