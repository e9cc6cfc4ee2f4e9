package dev.jnbdkit.it;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/**
 * A local S3-compatible object store for the S3 plugin's tests: {@code src/test/resources/s3/fakes3.py}
 * (Python's standard library) run by Debian's python3 on 127.0.0.1, an ephemeral port. Not an
 * NBD server: the NBD side is always {@link Server}. {@link #environment()} is what a server needs
 * to reach it with boto3: credentials in the environment (the S3 plugin's documented way), no
 * proxy, no configuration files of the user running the tests.
 */
public final class S3Fake implements AutoCloseable {
    static final Path SCRIPT = Server.home().resolve("src/test/resources/s3/fakes3.py");
    static final String ACCESS_KEY_ID = "AKIAJNBDKITTESTKEY01";
    static final String SECRET_ACCESS_KEY = "jnbdkit/test/secret/key/not/checked";

    private final Process process;
    private final int port;
    private final HttpClient http = HttpClient.newHttpClient();

    private S3Fake(Process process, int port) {
        this.process = process;
        this.port = port;
    }

    /** Starts the fake and waits until it listens (its port file is written after bind). */
    public static S3Fake start(Path dir) throws IOException, InterruptedException {
        Cmd.Result boto = Cmd.of(Clients.PYTHON, "-c", "import boto3").run();
        if (boto.exit() != 0) {
            throw new AssertionError("python3 module 'boto3' is missing (Debian package: python3-boto3); "
                    + "bin/test installs it when run as root\n" + boto);
        }
        Path portFile = dir.resolve("s3.port");
        Process p = new ProcessBuilder(Clients.PYTHON, SCRIPT.toString(), portFile.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("s3.log").toFile()).start();
        Instant deadline = Instant.now().plusSeconds(60);
        while (!Files.exists(portFile)) {
            if (!p.isAlive()) throw new AssertionError("fakes3.py exited: " + Files.readString(dir.resolve("s3.log")));
            if (Instant.now().isAfter(deadline)) {
                p.destroyForcibly();
                throw new AssertionError("fakes3.py did not start");
            }
            Thread.sleep(20);
        }
        return new S3Fake(p, Integer.parseInt(Files.readString(portFile).strip()));
    }

    /** The {@code endpoint-url=} the S3 plugin gets. */
    public String endpoint() { return "http://127.0.0.1:" + port; }

    /** The environment boto3 needs (set on both servers): credentials, region, nothing of the user's. */
    public static Map<String, String> environment() {
        return Map.of("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID, "AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY,
                "AWS_DEFAULT_REGION", "us-east-1", "AWS_CONFIG_FILE", "/nonexistent/aws-config",
                "AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/aws-credentials", "AWS_EC2_METADATA_DISABLED", "true",
                "NO_PROXY", "127.0.0.1", "no_proxy", "127.0.0.1");
    }

    /** Proxy variables a server must not inherit (boto3 would send the requests there). */
    public static final java.util.List<String> PROXY_VARIABLES =
            java.util.List.of("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY");

    /** Stores an object directly (no signature). */
    public void put(String bucket, String key, byte[] data) throws IOException, InterruptedException {
        send(HttpRequest.newBuilder(URI.create(endpoint() + "/_fake/object/" + bucket + "/" + key))
                .PUT(HttpRequest.BodyPublishers.ofByteArray(data)));
    }

    /** Forgets every object, key id and count. */
    public void reset() throws IOException, InterruptedException {
        send(HttpRequest.newBuilder(URI.create(endpoint() + "/_fake/reset")).POST(HttpRequest.BodyPublishers.noBody()));
    }

    /** {@code objects} (bucket, key, size, sha256), {@code access_keys}, {@code counts} by operation. */
    public Json state() throws IOException, InterruptedException {
        return Json.parse(send(HttpRequest.newBuilder(URI.create(endpoint() + "/_fake/state")).GET()));
    }

    private String send(HttpRequest.Builder b) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(b.timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) throw new AssertionError("fakes3.py answered " + r.statusCode() + ": " + r.body());
        return r.body();
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) process.destroyForcibly();
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
