package dev.jnbdkit.cli;

import dev.jnbdkit.log.Log;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code -V}/{@code --version} and {@code --dump-config}.
 *
 * <p>Scripts written for nbdkit check its version in two ways: {@code nbdkit --version | cut -d' ' -f2}
 * compared with an nbdkit release, and {@code version_major}/{@code version_minor} from
 * {@code --dump-config}. So that they keep working when jnbdkit is installed as {@code nbdkit}, both
 * report the nbdkit release whose command line and plugin semantics we follow
 * ({@link #NBDKIT_COMPAT_VERSION}); jnbdkit's own version follows on the same line (and in the
 * {@code jnbdkit_version} key):
 * <pre>
 * jnbdkit 1.34.0 (jnbdkit 0.1.0, compatible with nbdkit 1.34)
 * </pre>
 * The first two words stay {@code NAME VERSION}, as in nbdkit. With a plugin ({@code nbdkit memory
 * --version}) nbdkit then prints one {@code NAME VERSION} line per plugin and filter; that is Main's.
 */
public final class VersionInfo {
    private VersionInfo() {}

    /** jnbdkit's own version. */
    public static final String VERSION = ownVersion();

    /** The nbdkit release we are compatible with. */
    public static final int NBDKIT_COMPAT_MAJOR = 1;
    public static final int NBDKIT_COMPAT_MINOR = 34;
    public static final String NBDKIT_COMPAT_VERSION = NBDKIT_COMPAT_MAJOR + "." + NBDKIT_COMPAT_MINOR + ".0";

    private static String ownVersion() {
        String v = VersionInfo.class.getPackage().getImplementationVersion();
        return v != null ? v : "0.1.0";
    }

    /** The first line of {@code --version}. */
    public static String versionLine() {
        return Log.program() + " " + NBDKIT_COMPAT_VERSION + " (jnbdkit " + VERSION
                + ", compatible with nbdkit " + NBDKIT_COMPAT_MAJOR + "." + NBDKIT_COMPAT_MINOR + ")";
    }

    /** Prints {@link #versionLine()} to {@code out}. */
    public static void printVersion(PrintStream out) {
        out.println(versionLine());
        out.flush();
    }

    /** Prints {@code --dump-config} to {@code out}. */
    public static void printConfig(PrintStream out) {
        config().forEach((k, v) -> out.println(k + "=" + v));
        out.flush();
    }

    /**
     * The {@code --dump-config} keys, in nbdkit's (alphabetical) order. Paths derive from the
     * installation directory: the {@code jnbdkit.home} system property, else the directory holding
     * {@code target/} (where the jar or classes are). The launcher may name itself with the
     * {@code jnbdkit.binary} system property.
     */
    public static Map<String, String> config() {
        Path home = home();
        Map<String, String> m = new LinkedHashMap<>();
        m.put("binary", binary(home));
        m.put("bindir", home.resolve("bin").toString());
        m.put("exit_with_parent", isLinux() ? "yes" : "no");
        m.put("filterdir", home.resolve("lib/filters").toString());
        m.put("host_cpu", hostCpu());
        m.put("host_os", hostOs());
        m.put("jnbdkit_version", VERSION);
        m.put("libdir", home.resolve("lib").toString());
        m.put("mandir", home.resolve("share/man").toString());
        m.put("name", "jnbdkit");
        m.put("nbdkit_plugindir", nbdkitPluginDir().toString());
        m.put("plugindir", home.resolve("lib/plugins").toString());
        m.put("root_tls_certificates_dir", "/etc/pki/nbdkit");
        m.put("sbindir", home.resolve("bin").toString());
        m.put("selinux", "no");
        m.put("sysconfdir", "/etc");
        m.put("tls", "yes");
        m.put("version", NBDKIT_COMPAT_VERSION);
        m.put("version_major", Integer.toString(NBDKIT_COMPAT_MAJOR));
        m.put("version_minor", Integer.toString(NBDKIT_COMPAT_MINOR));
        m.put("zstd", dev.jnbdkit.plugins.memory.Allocators.zstdAvailable() ? "yes" : "no");
        return m;
    }

    /**
     * Where plugin scripts ({@code nbdkit-NAME-plugin}) are looked for, in order: jnbdkit's
     * {@code plugindir}, then nbdkit's ({@code nbdkit_plugindir}).
     */
    static List<Path> pluginDirs() {
        return List.of(home().resolve("lib/plugins"), nbdkitPluginDir());
    }

    /**
     * nbdkit's plugin directory: the first that exists of Debian's multiarch one
     * ({@code /usr/lib/x86_64-linux-gnu/nbdkit/plugins}), Fedora's ({@code /usr/lib64/...}), and
     * the plain and {@code /usr/local} ones; Debian's when none does. Found without running nbdkit
     * (start-up time), so only these locations count.
     */
    static Path nbdkitPluginDir() {
        String triplet = hostCpu() + "-" + hostOs();
        List<Path> candidates = List.of(Path.of("/usr/lib", triplet, "nbdkit/plugins"), Path.of("/usr/lib64/nbdkit/plugins"),
                Path.of("/usr/lib/nbdkit/plugins"), Path.of("/usr/local/lib/nbdkit/plugins"));
        for (Path p : candidates) if (Files.isDirectory(p)) return p;
        return candidates.getFirst();
    }

    static Path home() {
        String h = System.getProperty("jnbdkit.home");
        if (h != null && !h.isEmpty()) return Path.of(h).toAbsolutePath().normalize();
        try {
            var src = VersionInfo.class.getProtectionDomain().getCodeSource();
            if (src != null) {
                Path p = Path.of(src.getLocation().toURI()).toAbsolutePath().normalize();
                // target/classes or target/jnbdkit.jar: home is the directory holding target/
                for (Path q = p; q != null; q = q.getParent())
                    if (q.getFileName() != null && q.getFileName().toString().equals("target") && q.getParent() != null)
                        return q.getParent();
                return Files.isDirectory(p) ? p : p.getParent();
            }
        } catch (Exception ignored) {
            // fall through
        }
        return Path.of("").toAbsolutePath();
    }

    private static String binary(Path home) {
        String b = System.getProperty("jnbdkit.binary");
        if (b != null && !b.isEmpty()) return b;
        return home.resolve("bin/jnbdkit").toString();
    }

    private static boolean isLinux() { return System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux"); }

    static String hostCpu() {
        String a = System.getProperty("os.arch", "unknown");
        return switch (a) {
            case "amd64", "x86_64" -> "x86_64";
            case "x86", "i386", "i686" -> "i686";
            case "arm64", "aarch64" -> "aarch64";
            default -> a;
        };
    }

    static String hostOs() {
        String os = System.getProperty("os.name", "unknown").toLowerCase(Locale.ROOT);
        if (os.contains("linux")) return "linux-gnu";
        if (os.contains("mac") || os.contains("darwin")) return "darwin";
        if (os.contains("freebsd")) return "freebsd";
        if (os.contains("windows")) return "mingw32";
        return os.replace(' ', '-');
    }
}
