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
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The one way tests start a server: a child process (or adopted by pid, for a server that
 * detached), ready once its socket accepts a connection (or once a given file, say its pid file,
 * exists). Its stdout and stderr go to files under target/it-logs (or to one log of the test's
 * choosing), shown when a test fails.
 *
 * <p>Which server: the system property {@code jnbdkit.server} (e.g. {@code /usr/bin/nbdkit} to
 * run the tests against Debian's nbdkit), else {@code <jnbdkit.home>/bin/jnbdkit}. That is the one
 * switch. A differential test starts the same command line under both {@link Impl}s side by side:
 * the server under test and Debian's nbdkit.
 */
public final class Server implements AutoCloseable {
    /** Start-up can include a first build by bin/jnbdkit: be generous. */
    public static final Duration READY_TIMEOUT = Duration.ofSeconds(180);
    public static final Duration STOP_TIMEOUT = Duration.ofSeconds(60);
    /** Debian's nbdkit: the reference of differential tests. */
    public static final String NBDKIT = "/usr/bin/nbdkit";

    /** The two servers of a differential test. */
    public enum Impl {
        /** The server under test: {@link #program()}. */
        JNBDKIT,
        /** Debian's nbdkit, {@link #NBDKIT}. */
        NBDKIT;

        /** Its program; Debian's nbdkit must be installed (else the test fails, naming the package). */
        public String command() {
            if (this == JNBDKIT) return program();
            Clients.require(Server.NBDKIT);
            return Server.NBDKIT;
        }

        /** The program name at the start of the server's log lines ("jnbdkit" or "nbdkit"). */
        public String progname() { return Path.of(command()).getFileName().toString(); }
    }

    private static final AtomicInteger SEQ = new AtomicInteger();
    private static final List<Server> LIVE = new ArrayList<>();

    private final List<String> argv;
    private final Process process;     // null when adopted
    private final ProcessHandle handle;
    private final Path stdoutLog, stderrLog;
    private final Path socket;         // Unix socket, or null
    private final int port;            // TCP port, or 0
    private Path readyFile;            // ready once it exists and is not empty, or null
    private Path dir;                  // working directory, or null (inherited)
    private Impl impl;                 // which side of a differential test, or null
    private boolean killOnClose;
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

    public static Path home() {
        String h = System.getProperty("jnbdkit.home");
        return Path.of(h != null ? h : System.getProperty("user.dir")).toAbsolutePath();
    }

    /** The server command: -Djnbdkit.server, else bin/jnbdkit. */
    public static String program() {
        String s = System.getProperty("jnbdkit.server");
        if (s != null && !s.isBlank()) return s;
        return home().resolve("bin/jnbdkit").toString();
    }

    /** True when the suite runs against a real nbdkit (for the few notes where they differ). */
    public static boolean isRealNbdkit() {
        return Path.of(program()).getFileName().toString().equals("nbdkit");
    }

    public static List<String> argv(String... args) {
        List<String> l = new ArrayList<>();
        l.add(program());
        l.addAll(List.of(args));
        return l;
    }

    public static Path logDir() {
        Path d = home().resolve("target/it-logs");
        try { Files.createDirectories(d); } catch (IOException e) { throw new AssertionError(e); }
        return d;
    }

    public static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        } catch (IOException e) {
            throw new AssertionError("no free port", e);
        }
    }

    // ---- starting ------------------------------------------------------------------------

    /** {@code server -f -U SOCKET ARGS...}, returns once the socket accepts connections. */
    public static Server unix(Path socket, String... args) {
        List<String> a = argv("-f", "-U", socket.toString());
        a.addAll(List.of(args));
        return startAndWait(a, socket, 0);
    }

    /** {@code server -f -i 127.0.0.1 -p PORT ARGS...}, returns once the port accepts. */
    public static Server tcp(String... args) {
        int port = freePort();
        List<String> a = argv("-f", "-i", "127.0.0.1", "-p", Integer.toString(port));
        a.addAll(List.of(args));
        return startAndWait(a, null, port);
    }

    /** Runs {@code argv} (the full command line) and waits for the given socket or port. */
    public static Server startAndWait(List<String> argv, Path socket, int port) {
        Server s = start(argv, socket, port);
        s.awaitReady();
        return s;
    }

    /** Runs {@code argv} as a child, not waiting for anything. */
    public static Server start(List<String> argv, Path socket, int port) {
        return launch(argv).socket(socket).port(port).start();
    }

    /**
     * The server run to completion as a command ({@code --help}, {@code -V}, {@code --run},
     * {@code -s}, bad options...): {@code program() ARGS...} with the caller's PATH.
     */
    public static Cmd command(List<String> args) {
        List<String> a = argv();
        a.addAll(args);
        return Cmd.of(a).inheritPath();
    }

    public static Cmd command(String... args) { return command(List.of(args)); }

    /** {@code impl.command() ARGS...} run to completion: one side of a differential test. */
    public static Cmd command(Impl impl, List<String> args) {
        List<String> a = new ArrayList<>(List.of(impl.command()));
        a.addAll(args);
        return Cmd.of(a).inheritPath();
    }

    public static Cmd command(Impl impl, String... args) { return command(impl, List.of(args)); }

    /**
     * Captive: {@code program() -U - ARGS... --run RUN} in the repository (as a user runs it from
     * the checkout), which exits with RUN's status; its output and RUN's, together, are
     * {@code out()}.
     */
    public static Cmd captive(String run, String... args) {
        List<String> a = new ArrayList<>(List.of("-U", "-"));
        a.addAll(List.of(args));
        a.add("--run");
        a.add(run);
        return command(a).mergeOutput().dir(home());
    }

    /** A command line to start, with the options {@link #unix} and {@link #tcp} do not need. */
    public static Launch launch(List<String> argv) { return new Launch(argv, null); }

    /** {@code impl.command() ARGS...}: one side of a differential test. */
    public static Launch launch(Impl impl, List<String> args) {
        List<String> a = new ArrayList<>();
        a.add(impl.command());
        a.addAll(args);
        return new Launch(a, impl);
    }

    /**
     * A differential test's pair: {@code -f -U DIR/<impl>.sock ARGS...} under both {@link Impl}s,
     * side by side, both ready. Stop them (or let {@link ServerExtension} do it) when done.
     */
    public static java.util.EnumMap<Impl, Server> pair(Path dir, String... args) {
        java.util.EnumMap<Impl, Server> m = new java.util.EnumMap<>(Impl.class);
        for (Impl impl : Impl.values()) {
            Path sock = dir.resolve(impl.name().toLowerCase() + ".sock");
            List<String> a = new ArrayList<>(List.of("-f", "-U", sock.toString()));
            a.addAll(List.of(args));
            m.put(impl, launch(impl, a).socket(sock).ready());
        }
        return m;
    }

    /** How to start one server: environment, working directory, log, when it is ready. */
    public static final class Launch {
        private final List<String> argv;
        private final Impl impl;
        private final Map<String, String> env = new LinkedHashMap<>();
        private final Set<String> unset = new LinkedHashSet<>();
        private Path socket, dir, log, readyFile;
        private int port;
        private boolean killOnClose;

        private Launch(List<String> argv, Impl impl) {
            this.argv = List.copyOf(argv);
            this.impl = impl;
        }

        /** The Unix socket it listens on (readiness: it accepts; {@link Server#uri}). */
        public Launch socket(Path s) { socket = s; return this; }

        /** The TCP port on 127.0.0.1 it listens on (readiness: it accepts; {@link Server#uri}). */
        public Launch port(int p) { port = p; return this; }

        public Launch env(String key, String value) { env.put(key, value); return this; }

        /** Removes a variable from the inherited environment. */
        public Launch unsetEnv(String key) { unset.add(key); return this; }

        /** Working directory (default: the test JVM's). */
        public Launch dir(Path d) { dir = d; return this; }

        /** stdout and stderr together, in this order, to one file (default: two under target/it-logs). */
        public Launch log(Path file) { log = file; return this; }

        /**
         * Ready once this file exists (and, for a regular file such as a pid file, is not empty),
         * without connecting: for tests that count every connection the server sees.
         */
        public Launch readyWhen(Path file) { readyFile = file; return this; }

        /** close() kills it and checks nothing (for tests that stop it themselves and judge the result). */
        public Launch killOnClose() { killOnClose = true; return this; }

        /** Starts it, not waiting for anything. */
        public Server start() {
            int n = SEQ.incrementAndGet();
            Path out = log != null ? log : logDir().resolve(n + "-server.out");
            Path err = log != null ? log : logDir().resolve(n + "-server.err");
            try {
                if (log == null) Files.writeString(err, "");
                ProcessBuilder pb = new ProcessBuilder(argv)
                        .redirectOutput(out.toFile())
                        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
                if (log != null) pb.redirectErrorStream(true); else pb.redirectError(err.toFile());
                if (dir != null) pb.directory(dir.toFile());
                unset.forEach(pb.environment()::remove);
                pb.environment().putAll(env);
                Process p = pb.start();
                Server s = new Server(argv, p, p.toHandle(), out, err, socket, port);
                s.readyFile = readyFile;
                s.dir = dir;
                s.impl = impl;
                s.killOnClose = killOnClose;
                return s;
            } catch (IOException e) {
                throw new AssertionError("cannot start " + argv + ": " + e, e);
            }
        }

        /** Starts it and waits until it is ready (failing if it exits first). */
        public Server ready() {
            Server s = start();
            s.awaitReady();
            return s;
        }
    }

    /** A server that detached itself (no -f): tracked by the pid it wrote with -P. */
    public static Server adopt(List<String> argv, long pid, Path socket, int port) {
        ProcessHandle h = ProcessHandle.of(pid).orElseThrow(
                () -> new AssertionError("process " + pid + " from the pidfile is not running"));
        int n = SEQ.incrementAndGet();
        return new Server(argv, null, h, logDir().resolve(n + "-adopted.out"),
                logDir().resolve(n + "-adopted.err"), socket, port);
    }

    public void awaitReady() {
        if (!awaitReadyOrExit()) {
            throw new AssertionError("server exited before it was ready"
                    + (process != null ? " (exit status " + process.exitValue() + ")" : "")
                    + "\n" + describe());
        }
    }

    /**
     * Waits until it is ready (true) or has exited (false: a configuration error, say; the caller
     * judges its exit status and log). Fails after {@link #READY_TIMEOUT}.
     */
    public boolean awaitReadyOrExit() {
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        while (true) {
            if (isReady()) return true;
            if (!handle.isAlive()) {
                if (process != null) {
                    try { process.waitFor(); } catch (InterruptedException e) { Thread.currentThread().interrupt(); }
                }
                return false;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("server not ready after " + READY_TIMEOUT + "\n" + describe());
            }
            sleep(readyFile != null ? 10 : 50);
        }
    }

    private boolean isReady() {
        if (readyFile == null) return handle.isAlive() && accepts();
        try {
            // A pid file is written once the server listens: wait for its content too.
            return Files.exists(readyFile) && (!Files.isRegularFile(readyFile) || Files.size(readyFile) > 0);
        } catch (IOException e) {
            return false;
        }
    }

    /** True if the server's socket or port accepts a connection now. */
    public boolean accepts() {
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

    public Path socket() { return socket; }

    public int port() { return port; }

    public long pid() { return handle.pid(); }

    /** Its working directory, or null when it inherited the test JVM's. */
    public Path dir() { return dir; }

    /** Which side of a differential test it is, or null when started by command line. */
    public Impl impl() { return impl; }

    /** Its exit status once it has exited, else null. */
    public Integer exitStatus() {
        if (process == null || process.isAlive()) return null;
        return process.exitValue();
    }

    public ProcessHandle handle() { return handle; }

    /** The NBD URI of the default export. */
    public String uri() { return uri(""); }

    public String uri(String export) {
        if (socket != null) return "nbd+unix:///" + export + "?socket=" + socket;
        return "nbd://127.0.0.1:" + port + "/" + export;
    }

    // ---- stopping ------------------------------------------------------------------------

    /**
     * SIGTERM, wait, and check: exit status 0 (for a child), and no process left behind.
     * Returns the exit status (or 0 for an adopted server).
     */
    public int stop() {
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
    public int terminate() { return terminate(STOP_TIMEOUT); }

    /** As {@link #terminate()}, failing when it has not exited within {@code timeout}. */
    public int terminate(Duration timeout) {
        if (stopped) return exitStatus == null ? 0 : exitStatus;
        stopped = true;
        List<ProcessHandle> kids = handle.descendants().toList();
        handle.destroy(); // SIGTERM
        try {
            handle.onExit().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            kids.forEach(ProcessHandle::destroyForcibly);
            handle.destroyForcibly();
            throw new AssertionError("server did not exit within " + timeout
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
    public int awaitExit(Duration timeout) {
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

    public boolean isAlive() { return handle.isAlive(); }

    /** SIGKILL to it and its descendants, and wait; checks nothing. */
    public void kill() {
        stopped = true;
        synchronized (LIVE) { LIVE.remove(this); }
        handle.descendants().forEach(ProcessHandle::destroyForcibly);
        handle.destroyForcibly();
        try {
            handle.onExit().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            // nothing more can be done
        }
    }

    /** Stops it as {@link #stop()} does (or kills it, when launched with killOnClose). */
    @Override public void close() {
        if (stopped) return;
        if (killOnClose) kill(); else stop();
    }

    /** Stops every server still running (after a test), returning the problems seen. */
    public static List<AssertionError> stopAll() {
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

    public static List<Server> live() {
        synchronized (LIVE) { return new ArrayList<>(LIVE); }
    }

    // ---- logs ----------------------------------------------------------------------------

    public String stderr() { return readLog(stderrLog); }

    public String stdout() { return readLog(stdoutLog); }

    /** stdout and stderr: one file when launched with a log, else stdout then stderr. */
    public String log() {
        return stdoutLog.equals(stderrLog) ? stdout() : stdout() + stderr();
    }

    private static String readLog(Path p) {
        try {
            return Files.exists(p) ? Files.readString(p, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            return "(cannot read " + p + ": " + e + ")";
        }
    }

    public String describe() {
        StringBuilder sb = new StringBuilder();
        sb.append("server: ").append(Transcript.quoteAll(argv)).append("  [pid ").append(handle.pid());
        if (process == null) sb.append(", detached");
        sb.append("]\n");
        String err = stderr();
        sb.append("--- server stderr (").append(stderrLog).append(") ---\n")
                .append(err.isEmpty() ? "(empty)" : Transcript.clip(err)).append('\n');
        String out = stdoutLog.equals(stderrLog) ? "" : stdout();
        if (!out.isEmpty()) sb.append("--- server stdout ---\n").append(Transcript.clip(out)).append('\n');
        return sb.toString();
    }

    public static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }
}
