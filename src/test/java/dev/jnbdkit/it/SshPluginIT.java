package dev.jnbdkit.it;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code ssh}: a file served through a private sshd ({@link Sshd}) over SFTP, read and written
 * with nbdcopy and nbdsh, and each command line run under Debian's nbdkit too: the same bytes,
 * size, capabilities, and for refused host keys, refused client keys and missing files the same
 * error line and a failed connection (never a hang).
 */
class SshPluginIT extends ItBase {
    private static final String USER = System.getProperty("user.name");
    private static final String UNKNOWN_HOST = "error: either the host key is unknown, you must use ssh first and "
            + "accept the host key; or the known_hosts file (usually ~/.ssh/known_hosts) could not be opened, check "
            + "that the file exists and file permissions";

    private Sshd sshd;
    private Path knownHosts;

    @BeforeEach
    void startSshd() throws IOException {
        sshd = Sshd.start(tmp.resolve("sshd"));
        knownHosts = tmp.resolve("known_hosts");
        Files.writeString(knownHosts, sshd.knownHostsLine());
    }

    @AfterEach
    void stopSshd() {
        if (sshd != null) sshd.close();
    }

    /** The plugin's command line for {@code path}, isolated from ~/.ssh: no config, our key and known hosts. */
    private String[] args(Path path, String... extra) {
        List<String> a = new ArrayList<>(List.of("ssh", "host=127.0.0.1", "port=" + sshd.port, "user=" + USER,
                "config=", "identity=" + sshd.clientKey, "known-hosts=" + knownHosts));
        a.addAll(List.of(extra));
        a.add(path.toString());
        return a.toArray(new String[0]);
    }

    @Test
    void servesTheSameDiskAsNbdkit() {
        Path disk = randomFile("disk.img", 3 * 1024 * 1024 + 12_345, 7);
        PluginDiff.Seen seen = PluginDiff.assertSameDisk(tmp, args(disk));
        assertEquals(3 * 1024 * 1024 + 12_345, seen.size());
        assertEquals(Differential.sha256(disk), seen.sha256());
        // path= spelled out, and compression
        PluginDiff.assertSameDisk(tmp, args(disk, "compression=true"));
    }

    @Test
    void writesReachTheRemoteFile() throws IOException {
        Path disk = file("disk.img", 2 * 1024 * 1024);
        Path source = randomFile("source.img", 2 * 1024 * 1024, 3);
        Server s = unix(args(disk));
        Cmd.of("nbdcopy", source.toString(), s.uri()).ok();
        assertFilesEqual(source, disk);
        Cmd.of("nbdsh", "-u", s.uri(), "-c", "h.pwrite(b'\\xab' * 70000, 1000001); h.flush()").ok();
        byte[] now = Files.readAllBytes(disk);
        assertEquals((byte) 0xab, now[1000001]);
        assertEquals((byte) 0xab, now[1000001 + 69999]);
        byte[] want = Files.readAllBytes(source);
        assertEquals(want[1000000], now[1000000]);
        assertEquals(want[1070001], now[1070001]);
        Path back = tmp.resolve("back.img");
        Cmd.of("nbdcopy", s.uri(), back.toString()).ok();
        assertArrayEquals(now, Files.readAllBytes(back));
    }

    @Test
    void capabilitiesAsNbdkit() {
        Path disk = randomFile("disk.img", 1 << 20, 5);
        String caps = PluginDiff.assertSameScript(tmp, resource("data/caps.py"), args(disk));
        assertTrue(caps.contains("flush True"), caps);   // OpenSSH's sftp-server has fsync@openssh.com
        assertTrue(caps.contains("write something else ok"), caps);
        String ro = PluginDiff.assertSameScript(tmp, resource("data/caps.py"), withReadOnly(args(disk)));
        assertTrue(ro.contains("ro True"), ro);
        String dump = runServer("ssh", "--dump-plugin").ok().out();
        assertTrue(dump.contains("\nthread_model=serialize_requests\n"), dump);
        assertTrue(dump.contains("\nmagic_config_key=path\n"), dump);
    }

    @Test
    void readOnlyRefusesWrites() {
        Path disk = randomFile("disk.img", 1 << 20, 6);
        byte[] before = read(disk);
        Server s = unix(withReadOnly(args(disk)));
        assertNotEquals(0, Cmd.of("nbdsh", "-u", s.uri(), "-c", "h.pwrite(b'x' * 512, 0)").run().exit());
        assertArrayEquals(before, read(disk));
    }

    @Test
    void verifyRemoteHostFalseAcceptsAnUnknownKey() throws IOException {
        Path disk = randomFile("disk.img", 1 << 20, 8);
        Files.writeString(knownHosts, sshd.knownHostsLine(Sshd.keygen(tmp.resolve("other_host_key"))));
        PluginDiff.Seen seen = PluginDiff.assertSameDisk(tmp, args(disk, "verify-remote-host=false"));
        assertEquals(Differential.sha256(disk), seen.sha256());
    }

    @Test
    void aChangedHostKeyIsRefused() throws IOException {
        Path disk = randomFile("disk.img", 1 << 20, 9);
        Files.writeString(knownHosts, sshd.knownHostsLine(Sshd.keygen(tmp.resolve("other_host_key"))));
        assertEquals(List.of("error: host key for server changed"), sameOpenFailure(args(disk)));
    }

    @Test
    void anUnknownHostIsRefused() throws IOException {
        Path disk = randomFile("disk.img", 1 << 20, 10);
        Files.writeString(knownHosts, "[127.0.0.1]:1 " + Files.readString(Path.of(sshd.hostKey + ".pub")));
        assertEquals(List.of(UNKNOWN_HOST), sameOpenFailure(args(disk)));
    }

    @Test
    void aMissingKnownHostsFileIsRefused() {
        Path disk = randomFile("disk.img", 1 << 20, 13);
        String[] a = args(disk);
        for (int i = 0; i < a.length; i++) if (a[i].startsWith("known-hosts=")) a[i] = "known-hosts=" + tmp.resolve("no-such-file");
        // libssh says "unknown" for a missing file too, and so does nbdkit's message
        assertEquals(List.of(UNKNOWN_HOST), sameOpenFailure(a));
    }

    @Test
    void onlyAnotherTypeOfKeyIsKnown() throws IOException {
        Path disk = randomFile("disk.img", 1 << 20, 14);
        Path rsa = tmp.resolve("rsa_host_key");
        Cmd.of("ssh-keygen", "-q", "-t", "rsa", "-b", "2048", "-N", "", "-f", rsa.toString()).ok();
        Files.writeString(knownHosts, sshd.knownHostsLine(rsa));
        assertEquals(List.of("error: host key for server was not found but another type of key exists"),
                sameOpenFailure(args(disk)));
    }

    @Test
    void aKeyTheServerRefusesIsRefused() {
        Path disk = randomFile("disk.img", 1 << 20, 11);
        String[] a = args(disk);
        for (int i = 0; i < a.length; i++) if (a[i].startsWith("identity=")) a[i] = "identity=" + sshd.strangerKey;
        assertEquals(List.of("error: all possible authentication methods failed"), sameOpenFailure(a));
    }

    @Test
    void aMissingPathIsRefused() {
        Path missing = tmp.resolve("no-such-disk.img");
        List<String> rw = sameOpenFailure(args(missing));
        assertEquals(List.of("error: cannot open file for writing: SFTP server: No such file"), rw);
        List<String> ro = sameOpenFailure(withReadOnly(args(missing)));
        assertEquals(List.of("error: cannot open file for reading: SFTP server: No such file"), ro);
    }

    @Test
    void createMakesTheFileOnTheFirstConnection() throws IOException {
        Path ours = tmp.resolve("created-jnbdkit.img");
        Path theirs = tmp.resolve("created-nbdkit.img");
        PluginDiff.Seen j = seeCreated(Server.Impl.JNBDKIT, ours);
        PluginDiff.Seen n = seeCreated(Server.Impl.NBDKIT, theirs);
        assertEquals(n, j);
        assertEquals(1 << 20, Files.size(ours));
        assertEquals(Files.getPosixFilePermissions(theirs), Files.getPosixFilePermissions(ours));
        assertEquals(PosixFilePermissions.fromString("rw-r-----"), Files.getPosixFilePermissions(ours));
    }

    @Test
    void createReplacesAnExistingFile() throws IOException {
        Path disk = tmp.resolve("existing.img");
        byte[] old = new byte[100_000];
        java.util.Arrays.fill(old, (byte) 0x55);
        Files.write(disk, old);
        PluginDiff.Seen seen = PluginDiff.assertSameDisk(tmp, args(disk, "create=true", "create-size=64K"));
        assertEquals(65536, seen.size());
        assertArrayEquals(new byte[65536], read(disk));
    }

    /** create=true under {@code impl}: one connection writes, a second one must see it (not a new file). */
    private PluginDiff.Seen seeCreated(Server.Impl impl, Path file) {
        Path sock = tmp.resolve(impl.name().toLowerCase() + "-create.sock");
        List<String> a = new ArrayList<>(List.of("-f", "-U", sock.toString()));
        a.addAll(List.of(args(file, "create=true", "create-size=1M", "create-mode=0640")));
        Server s = Server.launch(impl, a).socket(sock).ready();
        Cmd.of("nbdsh", "-u", s.uri(), "-c", "h.pwrite(b'\\x01' * 4096, 8192); h.flush()").ok();
        PluginDiff.Seen seen = PluginDiff.look(s.uri(), tmp);
        s.stop();
        assertEquals(1, read(file)[8192], impl + ": the second connection re-created the file");
        return seen;
    }

    @Test
    void badCommandLinesAreRefusedAsNbdkit() {
        assertEquals("error: you must supply the host and path parameters after the plugin name on the command line\n",
                Differential.assertSameRefusal("ssh", "disk.img"));
        Differential.assertSameRefusal("ssh", "host=localhost");
        Differential.assertSameRefusal("ssh", "host=localhost", "disk.img", "compression=maybe");
        Differential.assertSameRefusal("ssh", "host=localhost", "disk.img", "verify-remote-host=maybe");
        Differential.assertSameRefusal("ssh", "host=localhost", "disk.img", "create=true");
        Differential.assertSameRefusal("ssh", "host=localhost", "disk.img", "create=true", "create-size=1M", "create-mode=abc");
        Differential.assertSameRefusal("ssh", "host=localhost", "disk.img", "timeout=abc");
        Differential.assertSameRefusal("ssh", "host=localhost", "disk.img", "timeout=-1");
        Differential.assertSameRefusal("ssh", "host=localhost", "disk.img", "foo=bar");
        Differential.assertSameRefusal("ssh", "host=localhost", "disk.img", "password=+" + tmp.resolve("no-password-file"));
    }

    @Test
    void passwordFromAFileIsRead() throws IOException {
        // The server takes keys only, so the password is never used: it must be read and not break the key.
        Path disk = randomFile("disk.img", 1 << 20, 12);
        Path pw = tmp.resolve("password");
        Files.writeString(pw, "secret\n");
        PluginDiff.Seen seen = PluginDiff.assertSameDisk(tmp, args(disk, "password=+" + pw));
        assertEquals(Differential.sha256(disk), seen.sha256());
    }

    /**
     * Starts {@code args} under both servers, connects with nbdinfo (which must fail, in bounded
     * time), stops them, and returns the error lines both logged (equal, program names taken out).
     */
    private List<String> sameOpenFailure(String... args) {
        EnumMap<Server.Impl, List<String>> errors = new EnumMap<>(Server.Impl.class);
        Path dir;
        try {
            dir = Files.createTempDirectory(tmp, "pair");   // each pair its own sockets
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        for (var e : Server.pair(dir, args).entrySet()) {
            Server s = e.getValue();
            Cmd.Result r = Cmd.of("nbdinfo", "--size", s.uri()).timeout(Duration.ofSeconds(90)).run();
            assertFalse(r.timedOut(), e.getKey() + ": the client hung\n" + r);
            assertNotEquals(0, r.exit(), e.getKey() + ": the connection should have failed\n" + r);
            assertTrue(s.isAlive(), e.getKey() + ": a failed connection must not stop the server");
            s.stop();
            List<String> lines = new ArrayList<>();
            for (String line : Differential.untagged(s.stderr()).split("\n")) {
                // nbdkit also logs the harness's readiness probe, which hangs up during the handshake
                boolean probe = line.contains("newstyle handshake") || line.contains("initial client flags");
                if (line.startsWith("error:") && !probe) lines.add(line);
            }
            errors.put(e.getKey(), lines);
        }
        assertEquals(errors.get(Server.Impl.NBDKIT), errors.get(Server.Impl.JNBDKIT), "expected = nbdkit, actual = jnbdkit");
        return errors.get(Server.Impl.JNBDKIT);
    }

    private static String[] withReadOnly(String[] args) {
        String[] a = new String[args.length + 1];
        a[0] = "-r";
        System.arraycopy(args, 0, a, 1, args.length);
        return a;
    }

    private static byte[] read(Path p) {
        try {
            return Files.readAllBytes(p);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
