package dev.jnbdkit.plugins.ssh;

import java.util.List;

/**
 * The ssh plugin's command line, once configuration is complete. Null means "not given" (the
 * configuration files or the defaults decide); {@code config} is null for the default files and
 * empty for none; {@code identities} are in command-line order; {@code timeoutSeconds} 0 means
 * none; {@code password} is null when none was given.
 */
record SshSettings(String host, String port, String path, String user, byte[] password,
                   List<String> identities, String knownHosts, boolean verifyRemoteHost,
                   String config, boolean compression, long timeoutSeconds,
                   boolean create, long createSize, int createMode) {
}
