package dev.jnbdkit.plugins.ssh;

import com.jcraft.jsch.ConfigRepository;
import com.jcraft.jsch.OpenSSHConfig;
import dev.jnbdkit.spi.Nbdkit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What the local OpenSSH configuration says about one host, for the keywords this plugin uses:
 * {@code HostName}, {@code Port}, {@code User}, {@code IdentityFile}, {@code UserKnownHostsFile},
 * {@code GlobalKnownHostsFile}, {@code Compression} and {@code ConnectTimeout}. The files are
 * read in order and the first value found wins, as ssh_config(5) says; missing or unreadable
 * files are skipped. Command-line parameters win over all of it (the plugin applies them after).
 * JSch's parser reads the files ({@code Host} patterns with {@code !} and globs); {@code Match}
 * and {@code Include} are not followed.
 */
record SshConfigFile(String hostName, int port, String user, List<String> identityFiles,
                     String userKnownHosts, String globalKnownHosts, boolean compression,
                     int connectTimeoutSeconds) {

    static final SshConfigFile NONE = new SshConfigFile(null, -1, null, List.of(), null, null, false, 0);

    /** The files nbdkit reads when {@code config=} is not given. */
    static List<String> defaultFiles() {
        return List.of(PathExpansion.home() + "/.ssh/config", "/etc/ssh/ssh_config");
    }

    /** The settings for {@code host} from {@code files} (already expanded). */
    static SshConfigFile read(List<String> files, String host) {
        List<ConfigRepository.Config> found = new ArrayList<>();
        for (String f : files) {
            if (!Files.isReadable(Path.of(f))) {
                Nbdkit.debug("ssh: config file " + f + " is not readable: ignored");
                continue;
            }
            try {
                found.add(OpenSSHConfig.parseFile(f).getConfig(host));
            } catch (IOException | RuntimeException e) {
                Nbdkit.debug("ssh: cannot read config file " + f + ": " + e.getMessage());
            }
        }
        if (found.isEmpty()) return NONE;
        List<String> identities = new ArrayList<>();
        for (ConfigRepository.Config c : found) {
            String[] v = c.getValues("IdentityFile");
            if (v != null) for (String s : v) if (!identities.contains(s)) identities.add(s);
        }
        String compression = first(found, "Compression");
        String timeout = first(found, "ConnectTimeout");
        int port = -1;
        for (ConfigRepository.Config c : found) {
            if (c.getPort() != -1) {
                port = c.getPort();
                break;
            }
        }
        String hostName = null, user = null;
        for (ConfigRepository.Config c : found) if (hostName == null) hostName = c.getHostname();
        for (ConfigRepository.Config c : found) if (user == null) user = c.getUser();
        return new SshConfigFile(hostName, port, user, List.copyOf(identities),
                first(found, "UserKnownHostsFile"), first(found, "GlobalKnownHostsFile"),
                "yes".equalsIgnoreCase(compression), seconds(timeout));
    }

    private static String first(List<ConfigRepository.Config> configs, String key) {
        for (ConfigRepository.Config c : configs) {
            String v = c.getValue(key);
            if (v != null) return v;
        }
        return null;
    }

    private static int seconds(String s) {
        if (s == null) return 0;
        try {
            return Math.max(0, Integer.parseInt(s.strip()));
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
