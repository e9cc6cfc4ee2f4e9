package dev.jnbdkit.soak;

import dev.jnbdkit.it.Server;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * What the soak tests add to the harness's {@link Server}: a work directory under target/soak,
 * and what they measure of the running server (its threads and descriptors, from /proc, and how
 * long SIGTERM takes to end it).
 */
final class SoakServer {
    private SoakServer() {}

    static Path workDir(String name) throws IOException {
        Path d = Server.home().resolve("target/soak").resolve(name);
        Files.createDirectories(d);
        return d;
    }

    /**
     * {@code server -f -U DIR/sock ARGS...} with extra environment {@code env} (KEY=VALUE), its
     * output in DIR/server.log, ready once it accepts; close() kills it (the tests judge the stop).
     */
    static Server start(Path dir, List<String> env, String... args) throws IOException {
        Path socket = dir.resolve("sock");
        Files.deleteIfExists(socket);
        List<String> argv = new ArrayList<>(Server.argv("-f", "-U", socket.toString()));
        argv.addAll(List.of(args));
        return start(argv, env, socket, dir.resolve("server.log"));
    }

    /** The full command line {@code argv} (a server under strace, say) listening on {@code socket}. */
    static Server start(List<String> argv, List<String> env, Path socket, Path log) {
        Server.Launch l = Server.launch(argv).socket(socket).log(log).killOnClose();
        for (String e : env) {
            int eq = e.indexOf('=');
            l.env(e.substring(0, eq), e.substring(eq + 1));
        }
        return l.ready();
    }

    /** Open file descriptors of the server. */
    static int fds(Server s) throws IOException {
        // The class path's jars are opened when a class outside the AOT cache is first needed
        // (the launcher no longer opens jnbdkit.jar at start): not a leak, so not counted.
        return (int) fdTargets(s).stream().filter(t -> !t.endsWith(".jar")).count();
    }

    /** What each of the server's descriptors points at (for a leak's message). */
    static List<String> fdTargets(Server s) throws IOException {
        List<String> out = new ArrayList<>();
        try (Stream<Path> l = Files.list(Path.of("/proc/" + s.pid() + "/fd"))) {
            for (Path fd : (Iterable<Path>) l::iterator) {
                try {
                    out.add(fd.getFileName() + " -> " + Files.readSymbolicLink(fd));
                } catch (IOException e) {
                    // closed meanwhile
                }
            }
        }
        java.util.Collections.sort(out);
        return out;
    }

    /** All threads of the server process. */
    static int threads(Server s) throws IOException {
        try (Stream<Path> l = Files.list(Path.of("/proc/" + s.pid() + "/task"))) {
            return (int) l.count();
        }
    }

    /** Threads serving connections: named {@code <plugin>[<id>]} and {@code <plugin>[<id>]-worker}. */
    static int connectionThreads(Server s, String plugin) throws IOException {
        int n = 0;
        try (Stream<Path> l = Files.list(Path.of("/proc/" + s.pid() + "/task"))) {
            for (Path t : (Iterable<Path>) l::iterator) {
                try {
                    if (Files.readString(t.resolve("comm")).startsWith(plugin + "[")) n++;
                } catch (IOException gone) {
                    // the thread ended meanwhile
                }
            }
        }
        return n;
    }

    /** Waits up to {@code seconds} for no connection thread to be left; returns how many remain. */
    static int awaitNoConnectionThreads(Server s, String plugin, int seconds) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        int n;
        while ((n = connectionThreads(s, plugin)) > 0 && System.nanoTime() < deadline) Thread.sleep(50);
        return n;
    }

    /** Sends SIGTERM; returns the milliseconds until the process had exited (or fails after {@code maxSeconds}). */
    static long terminate(Server s, int maxSeconds) {
        long t0 = System.nanoTime();
        s.terminate(Duration.ofSeconds(maxSeconds));
        return (System.nanoTime() - t0) / 1_000_000;
    }
}
