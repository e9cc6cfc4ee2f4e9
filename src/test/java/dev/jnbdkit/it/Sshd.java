package dev.jnbdkit.it;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A private OpenSSH server for the ssh plugin's tests (Debian's openssh-server): {@code sshd -D}
 * as the current user on 127.0.0.1 and a free port, with its own ed25519 host key, one
 * authorized client key (both made by ssh-keygen in {@code dir}), {@code StrictModes no}, public
 * keys only, and the SFTP subsystem. {@link #close} stops it.
 */
final class Sshd implements AutoCloseable {
    static final String SSHD = "/usr/sbin/sshd";
    static final String SFTP_SERVER = "/usr/lib/openssh/sftp-server";

    final Path dir;
    final int port;
    /** The client key sshd accepts (the private key file; {@code .pub} next to it). */
    final Path clientKey;
    /** A key sshd does not accept. */
    final Path strangerKey;
    final Path hostKey;
    private final Process process;
    private final Path log;

    private Sshd(Path dir, int port, Path clientKey, Path strangerKey, Path hostKey, Process process, Path log) {
        this.dir = dir;
        this.port = port;
        this.clientKey = clientKey;
        this.strangerKey = strangerKey;
        this.hostKey = hostKey;
        this.process = process;
        this.log = log;
    }

    static Sshd start(Path dir) {
        for (String p : new String[] {SSHD, SFTP_SERVER, "/usr/bin/ssh-keygen"}) {
            if (!Files.isExecutable(Path.of(p))) {
                throw new AssertionError(p + " is missing (Debian packages openssh-server and openssh-client); "
                        + "bin/test installs them when run as root");
            }
        }
        try {
            Files.createDirectories(dir);
            Path hostKey = keygen(dir.resolve("host_ed25519"));
            Path client = keygen(dir.resolve("id_client"));
            Path stranger = keygen(dir.resolve("id_stranger"));
            Files.copy(dir.resolve("id_client.pub"), dir.resolve("authorized_keys"));
            // sshd run as root wants its privilege separation directory, which only the package's
            // service start would make.
            Path privsep = Path.of("/run/sshd");
            if (isRoot() && !Files.isDirectory(privsep)) {
                Files.createDirectories(privsep, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
            }
            int port = Server.freePort();
            Path config = dir.resolve("sshd_config");
            Files.writeString(config, String.join("\n",
                    "ListenAddress 127.0.0.1",
                    "HostKey " + hostKey,
                    "AuthorizedKeysFile " + dir.resolve("authorized_keys"),
                    "PidFile " + dir.resolve("sshd.pid"),
                    "StrictModes no",
                    "UsePAM no",
                    "PermitRootLogin prohibit-password",
                    "PubkeyAuthentication yes",
                    "PasswordAuthentication no",
                    "KbdInteractiveAuthentication no",
                    "MaxAuthTries 20",
                    "LogLevel VERBOSE",
                    "Subsystem sftp " + SFTP_SERVER,
                    ""));
            Path log = dir.resolve("sshd.log");
            Process p = new ProcessBuilder(SSHD, "-D", "-e", "-f", config.toString(), "-p", Integer.toString(port))
                    .redirectErrorStream(true).redirectOutput(log.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .start();
            Sshd s = new Sshd(dir, port, client, stranger, hostKey, p, log);
            s.awaitListening();
            return s;
        } catch (IOException e) {
            throw new AssertionError("cannot start sshd: " + e, e);
        }
    }

    /** A known_hosts line for this server's host key ({@code [127.0.0.1]:PORT TYPE KEY}). */
    String knownHostsLine() { return knownHostsLine(hostKey); }

    /** A known_hosts line naming this server with the public half of {@code key}. */
    String knownHostsLine(Path key) {
        try {
            String[] pub = Files.readString(Path.of(key + ".pub")).strip().split(" ");
            return "[127.0.0.1]:" + port + " " + pub[0] + " " + pub[1] + "\n";
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** A new ed25519 key pair with no passphrase: {@code file} and {@code file.pub}. */
    static Path keygen(Path file) {
        Cmd.of("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "jnbdkit-test", "-f", file.toString()).ok();
        return file;
    }

    String log() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(no sshd log: " + e + ")";
        }
    }

    private void awaitListening() {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) throw new AssertionError("sshd exited (" + process.exitValue() + "):\n" + log());
            if (log().contains("Server listening on")) {
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
                    return;
                } catch (IOException e) {
                    // not yet
                }
            }
            Server.sleep(50);
        }
        throw new AssertionError("sshd is not listening after 60 s:\n" + log());
    }

    private static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // sshd forks a process per client connection; they end with their connections.
    }
}
