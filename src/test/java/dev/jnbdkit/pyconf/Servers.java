package dev.jnbdkit.pyconf;

import dev.jnbdkit.it.Cmd;
import dev.jnbdkit.it.Server;
import dev.jnbdkit.it.Server.Impl;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * The Python plugin conformance tests' side of the harness: one {@link Spec} started under either
 * {@link Impl} (the server under test, or Debian's nbdkit 1.32.5 with nbdkit-plugin-python) through
 * {@link Server#launch(Impl, List)} as
 * {@code -f -U SOCK -P PIDFILE --exit-with-parent [opts] python SCRIPT [args]}, and real clients
 * run against it. Each server gets its own directory (its working directory) holding the socket,
 * the pid file, its log (stdout and stderr together) and the plugin's trace file
 * ({@code PYCONF_TRACE}).
 */
final class Servers {
    static final Path RES = Server.home().resolve("src/test/resources/pyconf");
    /** Debian's interpreter: the libnbd Python bindings (the clients) live with it. */
    static final String CLIENT_PYTHON = "/usr/bin/python3";
    static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(120);

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

    static String read(Path p) {
        try {
            return Files.exists(p) ? Files.readString(p, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
    }

    /** The plugin's trace, or "" when it wrote none. */
    static String trace(Server s) { return read(s.dir().resolve("trace")); }

    /**
     * Starts the server and waits until it listens (its pid file is written once the socket is
     * bound and listening). If the server exits first (a configuration error, say), returns it
     * anyway: the caller checks {@link Server#isAlive()} and the log.
     */
    static Server start(Impl impl, Path base, Spec spec) throws IOException {
        Path dir = base.resolve(impl.name().toLowerCase());
        Files.createDirectories(dir);
        List<String> args = new ArrayList<>(List.of("-f", "-U", dir.resolve("sock").toString(),
                "-P", dir.resolve("pid").toString(), "--exit-with-parent"));
        args.addAll(spec.opts);
        args.add("python");
        args.add(spec.script);
        args.addAll(spec.args);
        Server.Launch l = Server.launch(impl, args).socket(dir.resolve("sock")).dir(dir).log(dir.resolve("log"))
                .readyWhen(dir.resolve("pid")).killOnClose()
                .env("PYTHONDONTWRITEBYTECODE", "1").env("PYCONF_TRACE", dir.resolve("trace").toString());
        spec.env.forEach(l::env);
        Server s = l.start();
        s.awaitReadyOrExit();
        return s;
    }

    static Server startOk(Impl impl, Path base, Spec spec) throws IOException {
        Server s = start(impl, base, spec);
        if (!s.isAlive()) fail(impl + " exited at start-up with " + s.exitStatus() + "; log:\n" + s.log());
        return s;
    }

    /** Waits for the server to exit by itself; returns its status, or fails after the timeout. */
    static int waitExit(Server s, long seconds) {
        return s.awaitExit(Duration.ofSeconds(seconds));
    }

    record Run(int status, String out) {}

    /** Runs a client command to completion; its stdout and stderr together, with paths normalized. */
    static Run run(Server s, List<String> cmd) {
        Cmd.Result r = Cmd.of(cmd).env("LIBNBD_DEBUG", "0").mergeOutput().timeout(CLIENT_TIMEOUT).run();
        if (r.timedOut()) fail("client did not finish: " + cmd + "\n" + r.out());
        return new Run(r.exit(), normalize(s, r.out()));
    }

    static String normalize(Server s, String text) {
        return s == null ? text : text.replace(s.dir().toString(), "$DIR");
    }

    /** {@code probe.py SOCK EXPORT OPS...} (see the script): one line per operation. */
    static String probe(Server s, String export, String... ops) {
        List<String> cmd = new ArrayList<>(List.of(CLIENT_PYTHON, client("probe.py").toString(),
                s.socket().toString(), export));
        cmd.addAll(List.of(ops));
        Run r = run(s, cmd);
        if (r.status() != 0) fail("probe failed against " + s.impl() + ":\n" + r.out() + "\nserver log:\n" + s.log());
        return r.out();
    }

    private Servers() {}
}
