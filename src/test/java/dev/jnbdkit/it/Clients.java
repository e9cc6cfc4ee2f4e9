package dev.jnbdkit.it;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The real clients the suite drives, and the Debian package each comes from. A missing client
 * fails the test (it never skips): bin/test installs them when it runs as root.
 */
public final class Clients {
    static final Map<String, String> PACKAGES = Map.ofEntries(
            Map.entry("nbdinfo", "libnbd-bin"),
            Map.entry("nbdkit", "nbdkit"),
            Map.entry("nbdcopy", "libnbd-bin"),
            Map.entry("nbdsh", "libnbd-bin + python3-libnbd"),
            Map.entry("qemu-img", "qemu-utils"),
            Map.entry("qemu-io", "qemu-utils"),
            Map.entry("qemu-nbd", "qemu-utils"),
            Map.entry("sfdisk", "fdisk"),
            Map.entry("psktool", "gnutls-bin"),
            Map.entry("fio", "fio"),
            Map.entry("gzip", "gzip"),
            Map.entry("systemd-socket-activate", "systemd"),
            Map.entry("tar", "tar"),
            Map.entry("xz", "xz-utils"),
            Map.entry("cmp", "diffutils"),
            Map.entry("cryptsetup", "cryptsetup-bin"),
            Map.entry("openssl", "openssl"),
            Map.entry("mke2fs", "e2fsprogs"),
            Map.entry("python3", "python3"),
            Map.entry("ssh-keygen", "openssh-client"),
            Map.entry("sshd", "openssh-server"));

    private Clients() { }

    /** Fails (AssertionError) unless {@code program} can be run. */
    public static void require(String program) {
        Path p = resolve(program);
        if (p == null) {
            String pkg = PACKAGES.get(Path.of(program).getFileName().toString());
            throw new AssertionError("client '" + program + "' is missing"
                    + (pkg == null ? "" : " (Debian package: " + pkg + ")")
                    + "; bin/test installs the clients when run as root");
        }
    }

    public static Path resolve(String program) {
        if (program.contains("/")) {
            Path p = Path.of(program);
            return Files.isExecutable(p) ? p : null;
        }
        for (String d : Cmd.CLIENT_PATH.split(":")) {
            if (d.isEmpty()) continue;
            Path p = Path.of(d, program);
            if (Files.isExecutable(p) && !Files.isDirectory(p)) return p;
        }
        return null;
    }

    /** Debian's python3 (the one with libnbd's {@code nbd} module). */
    public static final String PYTHON = "/usr/bin/python3";

    /** Fails unless Debian's python3 can import {@code nbd} (package python3-libnbd). */
    public static void requirePythonNbd() {
        require(PYTHON);
        Cmd.Result r = Cmd.of(PYTHON, "-c", "import nbd").run();
        if (r.exit() != 0) {
            throw new AssertionError("python3 module 'nbd' is missing (Debian package: "
                    + "python3-libnbd)\n" + r);
        }
    }
}
