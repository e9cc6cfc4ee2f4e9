package dev.jnbdkit.python;

import com.sun.net.httpserver.HttpServer;
import dev.jnbdkit.it.Cmd;
import dev.jnbdkit.it.Server;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The python plugin inside the real server ({@link Server#program()}), driven by real NBD clients
 * (libnbd's Python bindings, which Debian installs for /usr/bin/python3), in captive mode:
 * {@code -U - python SCRIPT ... --run 'python3 CLIENT $unixsocket'}.
 */
class EndToEndIT {
    static final String CLIENT_PYTHON = "/usr/bin/python3";
    static final Path CLIENTS = Path.of("src/test/resources/python/clients");

    @TempDir Path tmp;

    @BeforeAll
    static void needsLibnbd() throws Exception {
        assertTrue(Files.isExecutable(Path.of(CLIENT_PYTHON)), "needs /usr/bin/python3");
        Process p = new ProcessBuilder(CLIENT_PYTHON, "-c", "import nbd").start();
        assertTrue(p.waitFor() == 0, "needs python3-libnbd");
        assertTrue(classExists("dev.jnbdkit.cli.Main"), "needs the server (merge main)");
    }

    private static boolean classExists(String name) {
        try {
            Class.forName(name, false, EndToEndIT.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException e) {
            return false;
        }
    }

    record Result(int status, String out) {}

    /** {@code server -U - [serverArgs] --run 'python3 CLIENT $unixsocket [clientArgs]'}, in the repository. */
    private Result serve(List<String> serverArgs, String client, String... clientArgs) throws Exception {
        StringBuilder run = new StringBuilder(CLIENT_PYTHON + " " + CLIENTS.resolve(client) + " \"$unixsocket\"");
        for (String a : clientArgs) run.append(' ').append(a);
        Cmd.Result r = Server.captive(run.toString(), serverArgs.toArray(String[]::new))
                .env("XDG_CACHE_HOME", tmp.resolve("cache").toString()).run();
        assertFalse(r.timedOut(), "server did not exit: " + r.out());
        return new Result(r.exit(), r.out());
    }

    private static void assertClientOk(Result r) {
        assertEquals(0, r.status(), r.out());
        assertTrue(r.out().contains("CLIENT OK"), r.out());
    }

    @Test
    void ramdiskExample() throws Exception {
        assertClientOk(serve(List.of("python", "examples/python/ramdisk.py", "size=16M"), "ramdisk_client.py"));
    }

    @Test
    void errorsReachTheClientAsErrnosAndTheLogAsTracebacks() throws Exception {
        Result r = serve(List.of("python", "src/test/resources/python/errors.py"), "errors_client.py");
        assertClientOk(r);
        assertTrue(r.out().contains("error: src/test/resources/python/errors.py: pread: error: Traceback (most recent call last):"),
                r.out());
        assertTrue(r.out().contains("RuntimeError: not allowed"), r.out());
        long lines = r.out().lines().filter(l -> l.contains("error:") && l.contains("pread")).count();
        assertEquals(2, lines, "one log line per failed pread:\n" + r.out());
    }

    @Test
    void errorInjectionExample() throws Exception {
        assertClientOk(serve(List.of("python", "examples/python/error-injection.py", "size=4M",
                "bad=1M-2M", "error=ENOSPC"), "injection_client.py"));
    }

    @Test
    void fileExample() throws Exception {
        Path img = tmp.resolve("disk.img");
        Files.write(img, new byte[1 << 20]);
        assertClientOk(serve(List.of("python", "examples/python/file.py", "file=" + img), "file_client.py"));
        byte[] got = Files.readAllBytes(img);
        assertEquals("written through NBD", new String(got, 4096, 19, StandardCharsets.US_ASCII));
    }

    @Test
    void httpExampleWithRangeRequests() throws Exception {
        byte[] image = new byte[3 * 1024 * 1024 + 123];
        new Random(42).nextBytes(image);
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(image));
        HttpServer http = rangeServer(image);
        try {
            String url = "http://127.0.0.1:" + http.getAddress().getPort() + "/disk.img";
            assertClientOk(serve(List.of("-r", "python", "examples/python/http.py", "url=" + url),
                    "read_client.py", String.valueOf(image.length), sha));
        } finally {
            http.stop(0);
        }
    }

    @Test
    void printingPluginDoesNotCorruptStdioMode() throws Exception {
        List<String> cmd = new ArrayList<>(List.of(CLIENT_PYTHON, CLIENTS.resolve("stdio_client.py").toString()));
        cmd.addAll(Server.argv("-s", "python", CLIENTS.resolve("printing.py").toString()));
        Cmd.Result r = Cmd.of(cmd).inheritPath().mergeOutput().dir(Server.home()).run();
        String out = r.out();
        assertFalse(r.timedOut());
        assertEquals(0, r.exit(), out);
        assertTrue(out.contains("CLIENT OK"), out);
    }

    @Test
    void dumpPluginThroughTheServer() throws Exception {
        Cmd.Result r = Server.command("python", "src/test/resources/python/dump.py", "--dump-plugin")
                .mergeOutput().dir(Server.home()).run();
        String out = r.out();
        assertFalse(r.timedOut());
        assertEquals(0, r.exit(), out);
        int v = out.indexOf("python_version="), d = out.indexOf("dump_key=dump_value"), n = out.indexOf("name=python");
        assertTrue(n >= 0 && v > n && d > v, out);
    }

    /** A tiny HTTP server that honours "Range: bytes=A-B" (python3 -m http.server does not). */
    static HttpServer rangeServer(byte[] image) throws IOException {
        HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        s.createContext("/disk.img", ex -> {
            try (ex) {
                ex.getResponseHeaders().add("Accept-Ranges", "bytes");
                String range = ex.getRequestHeaders().getFirst("Range");
                if (ex.getRequestMethod().equals("HEAD")) {
                    ex.getResponseHeaders().add("Content-Length", String.valueOf(image.length));
                    ex.sendResponseHeaders(200, -1);
                    return;
                }
                int start = 0, end = image.length - 1, status = 200;
                if (range != null && range.startsWith("bytes=")) {
                    String[] se = range.substring(6).split("-");
                    start = Integer.parseInt(se[0]);
                    end = Math.min(Integer.parseInt(se[1]), image.length - 1);
                    status = 206;
                    ex.getResponseHeaders().add("Content-Range", "bytes " + start + "-" + end + "/" + image.length);
                }
                ex.sendResponseHeaders(status, end - start + 1);
                try (OutputStream o = ex.getResponseBody()) {
                    o.write(image, start, end - start + 1);
                }
            }
        });
        s.setExecutor(java.util.concurrent.Executors.newFixedThreadPool(8));
        s.start();
        return s;
    }
}
