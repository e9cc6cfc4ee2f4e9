package dev.jnbdkit.server.tls;

import dev.jnbdkit.log.Log;
import org.bouncycastle.tls.BasicTlsPSKExternal;
import org.bouncycastle.tls.CipherSuite;
import org.bouncycastle.tls.PRFAlgorithm;
import org.bouncycastle.tls.PSKTlsServer;
import org.bouncycastle.tls.ProtocolVersion;
import org.bouncycastle.tls.PskIdentity;
import org.bouncycastle.tls.TlsPSKExternal;
import org.bouncycastle.tls.TlsPSKIdentityManager;
import org.bouncycastle.tls.TlsUtils;
import org.bouncycastle.tls.crypto.TlsCrypto;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Vector;

/**
 * TLS with pre-shared keys, as GnuTLS clients (libnbd, qemu) speak it: TLS 1.3 external PSK
 * (psk_dhe_ke, SHA-256 binders, as GnuTLS uses for keys given as username:hexkey), or TLS 1.2
 * (EC)DHE-PSK. The username is the PSK identity.
 */
final class PskServer extends PSKTlsServer {
    private static final int[] SUITES = {
            // TLS 1.3: only the SHA-256 suites, the hash GnuTLS binds its external PSKs to.
            CipherSuite.TLS_AES_128_GCM_SHA256,
            CipherSuite.TLS_CHACHA20_POLY1305_SHA256,
            // TLS 1.2, ephemeral key exchange only (forward secrecy), as GnuTLS's NORMAL prefers.
            CipherSuite.TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256,
            CipherSuite.TLS_ECDHE_PSK_WITH_AES_256_CBC_SHA384,
            CipherSuite.TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA256,
            CipherSuite.TLS_DHE_PSK_WITH_AES_256_GCM_SHA384,
            CipherSuite.TLS_DHE_PSK_WITH_AES_128_GCM_SHA256,
            CipherSuite.TLS_DHE_PSK_WITH_CHACHA20_POLY1305_SHA256,
    };

    private final Path file;

    PskServer(TlsCrypto crypto, Path file) {
        super(crypto, new IdentityManager(file));
        this.file = file;
    }

    @Override
    protected ProtocolVersion[] getSupportedVersions() { return ProtocolVersion.TLSv13.downTo(ProtocolVersion.TLSv12); }

    @Override
    protected int[] getSupportedCipherSuites() { return TlsUtils.getSupportedCipherSuites(getCrypto(), SUITES); }

    /** Our order, not the client's: see {@link X509Server#preferLocalCipherSuites}. */
    @Override
    protected boolean preferLocalCipherSuites() { return true; }

    @Override
    public TlsPSKExternal getExternalPSK(@SuppressWarnings("rawtypes") Vector identities) {
        for (Object o : identities) {
            byte[] id = ((PskIdentity) o).getIdentity();
            String user = new String(id, StandardCharsets.UTF_8);
            byte[] key = PskFile.lookup(file, user);
            if (key != null) {
                Log.debug("TLS PSK: client identity '" + user + "'");
                return new BasicTlsPSKExternal(id, getCrypto().createSecret(key), PRFAlgorithm.tls13_hkdf_sha256);
            }
            Log.debug("TLS PSK: unknown client identity '" + user + "'");
        }
        return null;
    }

    private record IdentityManager(Path file) implements TlsPSKIdentityManager {
        @Override public byte[] getHint() { return null; }

        @Override
        public byte[] getPSK(byte[] identity) {
            String user = new String(identity, StandardCharsets.UTF_8);
            byte[] key = PskFile.lookup(file, user);
            Log.debug("TLS PSK: " + (key == null ? "unknown " : "") + "client identity '" + user + "'");
            return key;
        }
    }

    @Override
    public void notifyHandshakeComplete() throws java.io.IOException {
        super.notifyHandshakeComplete();
        BcEngineFactory.logSession(context);
    }
}
