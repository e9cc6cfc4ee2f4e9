package dev.jnbdkit.server.tls;

import dev.jnbdkit.log.Log;
import dev.jnbdkit.server.Transport;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The server's TLS configuration, settled at start-up as nbdkit-tls(1) says: {@code --tls=off|on|require},
 * X.509 files from {@code --tls-certificates} or the default directories, or {@code --tls-psk}.
 *
 * <p>This class and {@link PskFile} use no TLS library: the BouncyCastle engine is loaded only
 * when TLS is actually configured, so a server without TLS starts without it.
 */
public final class ServerTls {
    /** How TLS is offered: the client may choose ({@code on}), or must upgrade first ({@code require}). */
    public enum Mode { ON, REQUIRE }

    /** Performs the server side of a TLS handshake over a connected plaintext transport. */
    interface Engine {
        Transport handshake(Transport plain) throws IOException;
    }

    /** A configuration the server cannot start with (the message is the whole error). */
    public static final class SetupException extends Exception {
        public SetupException(String message) { super(message); }
    }

    /** The files of the X.509 certificates directory (nbdkit's names). */
    static final String CA_CERT = "ca-cert.pem";
    static final String CA_CRL = "ca-crl.pem";
    static final String SERVER_CERT = "server-cert.pem";
    static final String SERVER_KEY = "server-key.pem";

    private final Mode mode;
    private final Engine engine;
    private final String description;

    private ServerTls(Mode mode, Engine engine, String description) {
        this.mode = mode;
        this.engine = engine;
        this.description = description;
    }

    public Mode mode() { return mode; }

    /** True under {@code --tls=require}: no option but STARTTLS and ABORT is served before TLS. */
    public boolean required() { return mode == Mode.REQUIRE; }

    /** The value of {@code $tls} for {@code --run}: 1 for on, 2 for require. */
    public int captiveValue() { return mode == Mode.REQUIRE ? 2 : 1; }

    /** What authenticates the server: "X.509 certificates" or "Pre-Shared Keys (PSK)". */
    public String description() { return description; }

    /**
     * Runs the TLS handshake over {@code plain} (right after the ACK to NBD_OPT_STARTTLS) and
     * returns the encrypted transport. Throws if the client fails to authenticate; the
     * connection must then end.
     */
    public Transport startTls(Transport plain) throws IOException { return engine.handshake(plain); }

    /**
     * The distinguished names of a verified client certificate (nbdkit_peer_tls_dn(3)), in
     * RFC 4514 form ("CN=client.example.com,O=BigCo,C=US"), as GnuTLS writes them.
     */
    public record PeerCertificate(String subjectDn, String issuerDn) {
        /** GnuTLS's short names for the attributes the JDK would print as OIDs. */
        private static final java.util.Map<String, String> NAMES = java.util.Map.of(
                "1.2.840.113549.1.9.1", "EMAIL", "2.5.4.5", "serialNumber", "2.5.4.12", "title",
                "2.5.4.42", "GN", "2.5.4.4", "SN", "2.5.4.43", "initials", "2.5.4.46", "dnQualifier",
                "2.5.4.65", "pseudonym", "2.5.4.17", "postalCode");

        static PeerCertificate of(java.security.cert.X509Certificate c) {
            return new PeerCertificate(name(c.getSubjectX500Principal()), name(c.getIssuerX500Principal()));
        }

        private static String name(javax.security.auth.x500.X500Principal p) {
            return p.getName(javax.security.auth.x500.X500Principal.RFC2253, NAMES);
        }
    }

    /** The verified client certificate of a transport that did STARTTLS, or null. */
    public static PeerCertificate peerCertificate(Transport t) {
        return t instanceof TlsTransport tls ? tls.peerCertificate() : null;
    }

    /**
     * Settles the configuration from the command line, as nbdkit does: null when TLS is off
     * (asked for, or by default when nothing can be loaded).
     *
     * @param tls          "off", "on", "require", or null when --tls was not given
     * @param certificates --tls-certificates DIR, or null for the default directories
     * @param psk          --tls-psk FILE, or null
     * @param verifyPeer   --tls-verify-peer
     */
    public static ServerTls configure(String tls, String certificates, String psk, boolean verifyPeer)
            throws SetupException {
        if ("off".equals(tls)) return null;
        boolean onCli = tls != null;
        Mode mode = "require".equals(tls) ? Mode.REQUIRE : Mode.ON;

        if (psk != null) {
            // nbdkit: an unreadable PSK file is fatal whatever --tls says; --tls-psk overrides X.509.
            Path file = Path.of(psk);
            if (!Files.isReadable(file)) {
                throw new SetupException(psk + ": " + (Files.exists(file) ? "Permission denied" : "No such file or directory"));
            }
            try {
                PskFile.read(file);
            } catch (IOException e) {
                throw new SetupException(psk + ": " + e.getMessage());
            }
            Engine e = BcEngineFactory.psk(file);
            Log.debug("TLS enabled (" + mode.name().toLowerCase() + ") with Pre-Shared Keys (PSK) from " + file);
            return new ServerTls(mode, e, "Pre-Shared Keys (PSK)");
        }

        Path dir = certificateDirectory(certificates);
        String failure;
        if (dir == null) {
            failure = "no certificates directory found";
        } else {
            try {
                Engine e = BcEngineFactory.x509(dir, verifyPeer);
                Log.debug("TLS enabled (" + mode.name().toLowerCase() + ") with X.509 certificates from " + dir);
                return new ServerTls(mode, e, "X.509 certificates");
            } catch (IOException | RuntimeException e) {
                failure = dir + ": " + e.getMessage();
            }
        }
        Log.debug("TLS certificates could not be loaded: " + failure);
        String hint = "Try setting ‘--tls-certificates=/path/to/certificates’ or read\n"
                + "the \"TLS\" section in nbdkit(1).";
        if (mode == Mode.REQUIRE) {
            throw new SetupException("--tls=require but could not load TLS certificates.\n" + hint
                    + (Log.verbose() ? "" : "\n(" + failure + ")"));
        }
        if (onCli) {
            Log.warning("--tls=on but could not load TLS certificates.\n"
                    + "TLS will be disabled and TLS connections will be rejected.\n" + hint);
        }
        return null;
    }

    /**
     * The directory to load X.509 files from: the one given, else the first default that holds
     * the server's files (non-root: $HOME/.pki/nbdkit, $HOME/.config/pki/nbdkit; root:
     * /etc/pki/nbdkit). Null if there is none.
     */
    static Path certificateDirectory(String given) {
        if (given != null) return Path.of(given);
        for (Path p : defaultDirectories()) {
            if (Files.isRegularFile(p.resolve(SERVER_CERT)) || Files.isRegularFile(p.resolve(CA_CERT))) return p;
        }
        return null;
    }

    static List<Path> defaultDirectories() {
        if (isRoot()) return List.of(Path.of("/etc/pki/nbdkit"));
        String home = System.getProperty("user.home");
        if (home == null || home.isEmpty()) return List.of();
        return List.of(Path.of(home, ".pki", "nbdkit"), Path.of(home, ".config", "pki", "nbdkit"));
    }

    private static boolean isRoot() {
        try {
            return ((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid")) == 0;
        } catch (IOException | RuntimeException e) {
            return "root".equals(System.getProperty("user.name"));
        }
    }
}
