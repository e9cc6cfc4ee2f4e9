package dev.jnbdkit.soak;

import dev.jnbdkit.it.RawNbd;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * {@code bin/jnbdkit -f -U SOCKET ...} as a child process, with what the soak tests measure:
 * its threads and descriptors (from /proc), its log, and how long SIGTERM takes to end it.
 */
final class Jnbdkit implements AutoCloseable {
    final Path socket;
    final Process process;
    final Path log;

    private Jnbdkit(Path socket, Process process, Path log) {
        this.socket = socket;
        this.process = process;
        this.log = log;
    }

    static Path home() {
        String h = System.getProperty("jnbdkit.home");
        return Path.of(h != null ? h : System.getProperty("user.dir")).toAbsolutePath();
    }

    static Path workDir(String name) throws IOException {
        Path d = home().resolve("target/soak").resolve(name);
        Files.createDirectories(d);
        return d;
    }

    /** Starts the server with extra environment {@code env} (KEY=VALUE) and waits until it accepts. */
    static Jnbdkit start(Path dir, List<String> env, String... args) throws IOException, InterruptedException {
        Path socket = dir.resolve("sock");
        Files.deleteIfExists(socket);
        Path log = dir.resolve("server.log");
        List<String> argv = new ArrayList<>(List.of(home().resolve("bin/jnbdkit").toString(), "-f", "-U", socket.toString()));
        argv.addAll(List.of(args));
        return start(argv, env, socket, log);
    }

    static Jnbdkit start(List<String> argv, List<String> env, Path socket, Path log) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(log.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        for (String e : env) {
            int eq = e.indexOf('=');
            pb.environment().put(e.substring(0, eq), e.substring(eq + 1));
        }
        Jnbdkit j = new Jnbdkit(socket, pb.start(), log);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180); // may build the jar first
        while (true) {
            if (!j.process.isAlive()) throw new AssertionError("server exited at start-up:\n" + j.logText());
            if (Files.exists(socket)) {
                try (RawNbd c = RawNbd.connect(socket)) {
                    c.greeting();
                    return j;
                } catch (IOException notYet) {
                    // bound, not yet accepting
                }
            }
            if (System.nanoTime() > deadline) {
                j.close();
                throw new AssertionError("server not ready:\n" + j.logText());
            }
            Thread.sleep(50);
        }
    }

    long pid() { return process.pid(); }

    String logText() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    /** Open file descriptors of the server. */
    int fds() throws IOException {
        try (Stream<Path> s = Files.list(Path.of("/proc/" + pid() + "/fd"))) {
            return (int) s.count();
        }
    }

    /** All threads of the server process. */
    int threads() throws IOException {
        try (Stream<Path> s = Files.list(Path.of("/proc/" + pid() + "/task"))) {
            return (int) s.count();
        }
    }

    /** Threads serving connections: named {@code <plugin>[<id>]} and {@code <plugin>[<id>]-worker}. */
    int connectionThreads(String plugin) throws IOException {
        int n = 0;
        try (Stream<Path> s = Files.list(Path.of("/proc/" + pid() + "/task"))) {
            for (Path t : (Iterable<Path>) s::iterator) {
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
    int awaitNoConnectionThreads(String plugin, int seconds) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        int n;
        while ((n = connectionThreads(plugin)) > 0 && System.nanoTime() < deadline) Thread.sleep(50);
        return n;
    }

    /** Sends SIGTERM; returns the milliseconds until the process had exited (or fails after {@code maxSeconds}). */
    long terminate(int maxSeconds) throws InterruptedException {
        long t0 = System.nanoTime();
        process.toHandle().destroy(); // SIGTERM
        if (!process.waitFor(maxSeconds, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("server did not exit within " + maxSeconds + " s of SIGTERM:\n" + logText());
        }
        return (System.nanoTime() - t0) / 1_000_000;
    }

    @Override
    public void close() {
        // Descendants first: under strace the server is strace's child and would outlive it.
        process.toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
        if (process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
