package dev.jnbdkit.plugins.nbd;

import java.nio.file.Path;

/**
 * How the plugin talks TLS to the remote server ({@code tls=}, {@code tls-certificates=},
 * {@code tls-verify=}, {@code tls-username=}, {@code tls-psk=}).
 *
 * @param certificates X.509 directory (ca-cert.pem), or null: the JDK's trusted authorities
 * @param verify       check the server's certificate (chain and name); false trusts any
 * @param username     the PSK identity (default: the local user name)
 * @param psk          the PSK file ({@code username:hexkey} lines), or null for X.509
 * @param hostname     the name the server's certificate must carry, or null (Unix sockets)
 */
record TlsSettings(Mode mode, Path certificates, boolean verify, String username, Path psk, String hostname) {
    enum Mode { OFF, ON, REQUIRE }

    static final TlsSettings OFF = new TlsSettings(Mode.OFF, null, true, null, null, null);

    TlsSettings withHostname(String host) { return new TlsSettings(mode, certificates, verify, username, psk, host); }
}
