package dev.jnbdkit.pyconf;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Starts the same Python plugin under jnbdkit ({@code <repo>/bin/jnbdkit}) or Debian's nbdkit
 * ({@code /usr/bin/nbdkit}, 1.32.5 with nbdkit-plugin-python) with
 * {@code -f -U SOCK -P PIDFILE --exit-with-parent [opts] python SCRIPT [args]}, and runs real
 * clients against it. Each server gets its own directory holding the socket, the pid file, its
 * log (stdout and stderr together) and the plugin's trace file ({@code PYCONF_TRACE}).
 */
final class Servers {
    enum Impl {
        JNBDKIT, NBDKIT;

        String command() {
            return this == JNBDKIT ? HOME.resolve("bin/jnbdkit").toString() : Servers.NBDKIT;
        }

        /** The program name at the start of the server's log lines. */
        String progname() { return this == JNBDKIT ? "jnbdkit" : "nbdkit"; }
    }

    static final Path HOME = Path.of(System.getProperty("jnbdkit.home", ".")).toAbsolutePath().normalize();
    static final Path RES = HOME.resolve("src/test/resources/pyconf");
    static final String NBDKIT = "/usr/bin/nbdkit";
    /** Debian's interpreter: the libnbd Python bindings (the clients) live with it. */
    static final String CLIENT_PYTHON = "/usr/bin/python3";

    static Path plugin(String name) { return RES.resolve("plugins").resolve(name); }

    static Path client(String name) { return RES.resolve("clients").resolve(name); }

    /** What to start: server options before {@code python}, the script, its arguments, environment. */
    static final class Spec {
        final List<String> opts = new ArrayList<>();
        final String script;
        final List<String> args = new ArrayList<>();
        final Map<String, String> env = new LinkedHashMap<>();

        Spec(String script, String... args) {
            this.script = script.startsWith("/") ? script : plugin(script).toString();
            this.args.addAll(List.of(args));
        }

        Spec opts(String... o) { opts.addAll(List.of(o)); return this; }

        Spec env(String k, String v) { env.put(k, v); return this; }
    }

    static final class Server implements AutoCloseable {
        final Impl impl;
        final Path dir;
        final Path sock;
        final Path pidfile;
        final Path logfile;
        final Path trace;
        final Process process;
        private Integer exit;

        Server(Impl impl, Path dir, Process process) {
            this.impl = impl;
            this.dir = dir;
            this.sock = dir.resolve("sock");
            this.pidfile = dir.resolve("pid");
            this.logfile = dir.resolve("log");
            this.trace = dir.resolve("trace");
            this.process = process;
        }

        String uri() { return "nbd+unix:///?socket=" + sock; }

        String uri(String export) { return "nbd+unix:///" + export + "?socket=" + sock; }

        boolean running() { return process.isAlive(); }

        String log() { return read(logfile); }

        /** The plugin's trace, or "" when it wrote none. */
        String trace() { return read(trace); }

        /** Waits for the server to exit by itself; returns its status, or fails after the timeout. */
        int waitExit(long seconds) throws InterruptedException {
            if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
                fail(impl + " did not exit within " + seconds + " s; log:\n" + log());
            }
            exit = process.exitValue();
            return exit;
        }

        /** SIGTERM (as Ctrl-C or a service manager would), then waits; returns the exit status. */
        int stop() throws InterruptedException {
            if (exit != null) return exit;
            if (process.isAlive()) process.destroy();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
                fail(impl + " did not exit on SIGTERM; log:\n" + log());
            }
            exit = process.exitValue();
            return exit;
        }

        @Override
        public void close() throws InterruptedException {
            if (exit == null) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    static String read(Path p) {
        try {
            return Files.exists(p) ? Files.readString(p, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
    }

    /**
     * Starts the server and waits until it listens (its pid file is written once the socket is
     * bound and listening). If the server exits first (a configuration error, say), returns it
     * anyway: the caller checks {@link Server#running()} and the log.
     */
    static Server start(Impl impl, Path base, Spec spec) throws IOException, InterruptedException {
        Path dir = base.resolve(impl.name().toLowerCase());
        Files.createDirectories(dir);
        List<String> cmd = new ArrayList<>(List.of(impl.command(), "-f", "-U", dir.resolve("sock").toString(),
                "-P", dir.resolve("pid").toString(), "--exit-with-parent"));
        cmd.addAll(spec.opts);
        cmd.add("python");
        cmd.add(spec.script);
        cmd.addAll(spec.args);
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("log").toFile());
        pb.environment().put("PYTHONDONTWRITEBYTECODE", "1");
        pb.environment().put("PYCONF_TRACE", dir.resolve("trace").toString());
        pb.environment().putAll(spec.env);
        Process p = pb.start();
        p.getOutputStream().close();
        Server s = new Server(impl, dir, p);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (true) {
            if (Files.exists(s.pidfile) && Files.size(s.pidfile) > 0) return s;
            if (!p.isAlive()) {
                p.waitFor();
                s.exit = p.exitValue();
                return s;
            }
            if (System.nanoTime() > deadline) {
                p.destroyForcibly();
                fail(impl + " did not start; log:\n" + s.log());
            }
            Thread.sleep(10);
        }
    }

    static Server startOk(Impl impl, Path base, Spec spec) throws IOException, InterruptedException {
        Server s = start(impl, base, spec);
        if (!s.running()) fail(impl + " exited at start-up with " + s.exit + "; log:\n" + s.log());
        return s;
    }

    record Run(int status, String out) {}

    /** Runs a client command to completion; its stdout and stderr together, with paths normalized. */
    static Run run(Server s, List<String> cmd) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("PATH", "/usr/bin:/bin:/usr/sbin:/sbin");
        pb.environment().put("LIBNBD_DEBUG", "0");
        Process p = pb.start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("client did not finish: " + cmd + "\n" + out);
        }
        return new Run(p.exitValue(), normalize(s, out));
    }

    static String normalize(Server s, String text) {
        return s == null ? text : text.replace(s.dir.toString(), "$DIR");
    }

    /** {@code probe.py SOCK EXPORT OPS...} (see the script): one line per operation. */
    static String probe(Server s, String export, String... ops) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(CLIENT_PYTHON, client("probe.py").toString(),
                s.sock.toString(), export));
        cmd.addAll(List.of(ops));
        Run r = run(s, cmd);
        if (r.status() != 0) fail("probe failed against " + s.impl + ":\n" + r.out() + "\nserver log:\n" + s.log());
        return r.out();
    }

    private Servers() {}
}
