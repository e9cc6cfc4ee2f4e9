package dev.jnbdkit.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A local web server for the curl plugin's tests: {@code src/test/resources/curl/range_server.py}
 * under Debian's python3 (byte ranges, ranged PUTs, redirects, Basic auth, cookies, absolute
 * request lines as a proxy gets them), serving the files of one directory on 127.0.0.1, over
 * HTTP or HTTPS. Every request it gets is logged; {@link #requests} reads the log back.
 */
final class WebServer implements AutoCloseable {
    private final Process process;
    private final Path dir;
    private final Path log;
    private final int port;
    private final boolean tls;

    private WebServer(Process process, Path dir, Path log, int port, boolean tls) {
        this.process = process;
        this.dir = dir;
        this.log = log;
        this.port = port;
        this.tls = tls;
    }

    /** Serves {@code dir}; {@code flags} as range_server.py takes them ({@code --no-ranges}, {@code --tls CERT KEY}...). */
    static WebServer start(Path dir, Path work, String... flags) {
        Path script = Server.home().resolve("src/test/resources/curl/range_server.py");
        Path portFile = work.resolve("web-" + System.nanoTime() + ".port");
        Path log = work.resolve("web-" + System.nanoTime() + ".log");
        List<String> argv = new ArrayList<>(List.of(Clients.PYTHON, script.toString(), dir.toString(),
                portFile.toString(), log.toString()));
        argv.addAll(List.of(flags));
        try {
            Files.writeString(log, "");
            Process p = new ProcessBuilder(argv)
                    .redirectOutput(Server.logDir().resolve("web-" + System.nanoTime() + ".out").toFile())
                    .redirectErrorStream(true)
                    .start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!Files.exists(portFile)) {
                if (!p.isAlive()) throw new AssertionError("range_server.py exited with status " + p.exitValue());
                if (System.nanoTime() > deadline) {
                    p.destroyForcibly();
                    throw new AssertionError("range_server.py did not start in 60 s");
                }
                Server.sleep(20);
            }
            int port = Integer.parseInt(Files.readString(portFile).strip());
            return new WebServer(p, dir, log, port, List.of(flags).contains("--tls"));
        } catch (IOException e) {
            throw new AssertionError("cannot start range_server.py: " + e, e);
        }
    }

    /** {@code http(s)://127.0.0.1:PORT/PATH}. */
    String url(String path) {
        return (tls ? "https" : "http") + "://127.0.0.1:" + port + (path.startsWith("/") ? path : "/" + path);
    }

    int port() { return port; }

    Path dir() { return dir; }

    /** Every request logged so far: method, path, status, proxy, headers. */
    List<Json> requests() {
        try {
            List<Json> out = new ArrayList<>();
            for (String line : Files.readAllLines(log)) if (!line.isBlank()) out.add(Json.parse(line));
            return out;
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** Forgets the requests logged so far. */
    void clearLog() {
        try {
            Files.writeString(log, "");
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** The value of header {@code name} (any case) in one logged request, or null. */
    static String header(Json request, String name) {
        for (Json h : request.get("headers").items()) {
            if (h.at(0).asString().equalsIgnoreCase(name)) return h.at(1).asString();
        }
        return null;
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly().waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
