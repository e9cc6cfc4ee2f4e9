package dev.jnbdkit.it;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.net.SocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One server under test, run as a child process (or adopted by pid, for a server that detached).
 * Its stdout and stderr go to files under target/it-logs, shown when a test fails.
 *
 * <p>Which server: the system property {@code jnbdkit.server} (e.g. {@code /usr/bin/nbdkit} to
 * check the tests against Debian's nbdkit), else {@code <jnbdkit.home>/bin/jnbdkit}.
 */
final class Server implements AutoCloseable {
    /** Start-up can include a first build by bin/jnbdkit: be generous. */
    static final Duration READY_TIMEOUT = Duration.ofSeconds(180);
    static final Duration STOP_TIMEOUT = Duration.ofSeconds(60);

    private static final AtomicInteger SEQ = new AtomicInteger();
    private static final List<Server> LIVE = new ArrayList<>();

    private final List<String> argv;
    private final Process process;     // null when adopted
    private final ProcessHandle handle;
    private final Path stdoutLog, stderrLog;
    private final Path socket;         // Unix socket, or null
    private final int port;            // TCP port, or 0
    private boolean stopped;
    private Integer exitStatus;

    private Server(List<String> argv, Process process, ProcessHandle handle, Path out, Path err,
                   Path socket, int port) {
        this.argv = argv;
        this.process = process;
        this.handle = handle;
        this.stdoutLog = out;
        this.stderrLog = err;
        this.socket = socket;
        this.port = port;
        synchronized (LIVE) { LIVE.add(this); }
    }

    // ---- what to run ---------------------------------------------------------------------

    static Path home() {
        String h = System.getProperty("jnbdkit.home");
        return Path.of(h != null ? h : System.getProperty("user.dir")).toAbsolutePath();
    }

    /** The server command: -Djnbdkit.server, else bin/jnbdkit. */
    static String program() {
        String s = System.getProperty("jnbdkit.server");
        if (s != null && !s.isBlank()) return s;
        return home().resolve("bin/jnbdkit").toString();
    }

    /** True when the suite runs against a real nbdkit (for the few notes where they differ). */
    static boolean isRealNbdkit() {
        return Path.of(program()).getFileName().toString().equals("nbdkit");
    }

    static List<String> argv(String... args) {
        List<String> l = new ArrayList<>();
        l.add(program());
        l.addAll(List.of(args));
        return l;
    }

    static Path logDir() {
        Path d = home().resolve("target/it-logs");
        try { Files.createDirectories(d); } catch (IOException e) { throw new AssertionError(e); }
        return d;
    }

    static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        } catch (IOException e) {
            throw new AssertionError("no free port", e);
        }
    }

    // ---- starting ------------------------------------------------------------------------

    /** {@code server -f -U SOCKET ARGS...}, returns once the socket accepts connections. */
    static Server unix(Path socket, String... args) {
        List<String> a = argv("-f", "-U", socket.toString());
        a.addAll(List.of(args));
        return startAndWait(a, socket, 0);
    }

    /** {@code server -f -i 127.0.0.1 -p PORT ARGS...}, returns once the port accepts. */
    static Server tcp(String... args) {
        int port = freePort();
        List<String> a = argv("-f", "-i", "127.0.0.1", "-p", Integer.toString(port));
        a.addAll(List.of(args));
        return startAndWait(a, null, port);
    }

    /** Runs {@code argv} (the full command line) and waits for the given socket or port. */
    static Server startAndWait(List<String> argv, Path socket, int port) {
        Server s = start(argv, socket, port);
        s.awaitReady();
        return s;
    }

    /** Runs {@code argv} as a child, not waiting for anything. */
    static Server start(List<String> argv, Path socket, int port) {
        int n = SEQ.incrementAndGet();
        Path out = logDir().resolve(n + "-server.out");
        Path err = logDir().resolve(n + "-server.err");
        try {
            Files.writeString(err, "");
            ProcessBuilder pb = new ProcessBuilder(argv)
                    .redirectOutput(out.toFile())
                    .redirectError(err.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            Process p = pb.start();
            return new Server(argv, p, p.toHandle(), out, err, socket, port);
        } catch (IOException e) {
            throw new AssertionError("cannot start " + argv + ": " + e, e);
        }
    }

    /** A server that detached itself (no -f): tracked by the pid it wrote with -P. */
    static Server adopt(List<String> argv, long pid, Path socket, int port) {
        ProcessHandle h = ProcessHandle.of(pid).orElseThrow(
                () -> new AssertionError("process " + pid + " from the pidfile is not running"));
        int n = SEQ.incrementAndGet();
        return new Server(argv, null, h, logDir().resolve(n + "-adopted.out"),
                logDir().resolve(n + "-adopted.err"), socket, port);
    }

    void awaitReady() {
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        while (true) {
            if (!handle.isAlive()) {
                throw new AssertionError("server exited before it was ready"
                        + (process != null ? " (exit status " + process.exitValue() + ")" : "")
                        + "\n" + describe());
            }
            if (accepts()) return;
            if (System.nanoTime() > deadline) {
                throw new AssertionError("server not ready after " + READY_TIMEOUT + "\n" + describe());
            }
            sleep(50);
        }
    }

    /** True if the server's socket or port accepts a connection now. */
    boolean accepts() {
        SocketAddress a;
        if (socket != null) {
            if (!Files.exists(socket)) return false;
            a = UnixDomainSocketAddress.of(socket);
        } else {
            a = new InetSocketAddress("127.0.0.1", port);
        }
        try (SocketChannel ch = SocketChannel.open(socket != null
                ? StandardProtocolFamily.UNIX : StandardProtocolFamily.INET)) {
            ch.connect(a);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    // ---- addresses -----------------------------------------------------------------------

    Path socket() { return socket; }

    int port() { return port; }

    long pid() { return handle.pid(); }

    ProcessHandle handle() { return handle; }

    /** The NBD URI of the default export. */
    String uri() { return uri(""); }

    String uri(String export) {
        if (socket != null) return "nbd+unix:///" + export + "?socket=" + socket;
        return "nbd://127.0.0.1:" + port + "/" + export;
    }

    // ---- stopping ------------------------------------------------------------------------

    /**
     * SIGTERM, wait, and check: exit status 0 (for a child), and no process left behind.
     * Returns the exit status (or 0 for an adopted server).
     */
    int stop() {
        int status = terminate();
        if (status != 0) {
            throw new AssertionError("server exit status " + status + " after SIGTERM "
                    + "(expected 0)\n" + describe());
        }
        return status;
    }

    /**
     * SIGTERM and wait; checks that no process is left behind but not the exit status (for
     * launchers that are not the server, e.g. an inetd-style bridge). Returns the exit status.
     */
    int terminate() {
        if (stopped) return exitStatus == null ? 0 : exitStatus;
        stopped = true;
        List<ProcessHandle> kids = handle.descendants().toList();
        handle.destroy(); // SIGTERM
        try {
            handle.onExit().get(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            kids.forEach(ProcessHandle::destroyForcibly);
            handle.destroyForcibly();
            throw new AssertionError("server did not exit within " + STOP_TIMEOUT
                    + " of SIGTERM (killed)\n" + describe());
        } finally {
            synchronized (LIVE) { LIVE.remove(this); }
        }
        if (process != null) {
            try {
                process.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            exitStatus = process.exitValue();
        }
        assertNoLeftovers(kids);
        return exitStatus == null ? 0 : exitStatus;
    }

    /** Waits (without signalling) for the server to exit by itself; returns its status. */
    int awaitExit(Duration timeout) {
        List<ProcessHandle> kids = handle.descendants().toList();
        try {
            handle.onExit().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            throw new AssertionError("server still running after " + timeout + "\n" + describe());
        }
        stopped = true;
        synchronized (LIVE) { LIVE.remove(this); }
        if (process != null) {
            try { process.waitFor(); } catch (InterruptedException ie) { Thread.currentThread().interrupt(); }
            exitStatus = process.exitValue();
        }
        assertNoLeftovers(kids);
        return exitStatus == null ? 0 : exitStatus;
    }

    private void assertNoLeftovers(List<ProcessHandle> kids) {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        for (ProcessHandle k : kids) {
            while (k.isAlive() && System.nanoTime() < deadline) sleep(50);
            if (k.isAlive()) {
                String cmd = k.info().commandLine().orElse("?");
                k.destroyForcibly();
                throw new AssertionError("process " + k.pid() + " (" + cmd
                        + ") left behind by the server\n" + describe());
            }
        }
    }

    boolean isAlive() { return handle.isAlive(); }

    @Override public void close() {
        if (!stopped) stop();
    }

    /** Stops every server still running (after a test), returning the problems seen. */
    static List<AssertionError> stopAll() {
        List<Server> l;
        synchronized (LIVE) { l = new ArrayList<>(LIVE); }
        List<AssertionError> problems = new ArrayList<>();
        for (Server s : l) {
            try {
                s.stop();
            } catch (AssertionError e) {
                problems.add(e);
            }
        }
        return problems;
    }

    static List<Server> live() {
        synchronized (LIVE) { return new ArrayList<>(LIVE); }
    }

    // ---- logs ----------------------------------------------------------------------------

    String stderr() { return readLog(stderrLog); }

    String stdout() { return readLog(stdoutLog); }

    private static String readLog(Path p) {
        try {
            return Files.exists(p) ? Files.readString(p, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            return "(cannot read " + p + ": " + e + ")";
        }
    }

    String describe() {
        StringBuilder sb = new StringBuilder();
        sb.append("server: ").append(Transcript.quoteAll(argv)).append("  [pid ").append(handle.pid());
        if (process == null) sb.append(", detached");
        sb.append("]\n");
        String err = stderr();
        sb.append("--- server stderr (").append(stderrLog).append(") ---\n")
                .append(err.isEmpty() ? "(empty)" : Transcript.clip(err)).append('\n');
        String out = stdout();
        if (!out.isEmpty()) sb.append("--- server stdout ---\n").append(Transcript.clip(out)).append('\n');
        return sb.toString();
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }
}
