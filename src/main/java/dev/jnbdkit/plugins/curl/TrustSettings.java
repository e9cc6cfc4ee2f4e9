package dev.jnbdkit.plugins.curl;

import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.PluginException;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The TLS side of the curl keys: which certificates are trusted ({@code sslverify},
 * {@code cainfo}, {@code capath}) and which protocol versions and cipher suites are offered
 * ({@code ssl-version}, {@code ssl-cipher-list}, {@code tls13-ciphers}; suites by their IANA
 * names, {@code TLS_AES_128_GCM_SHA256}, which OpenSSL also uses for TLS 1.3).
 */
final class TrustSettings {
    /** Debian's CA bundle (ca-certificates), libcurl's default CAINFO there. */
    private static final Path SYSTEM_BUNDLE = Path.of("/etc/ssl/certs/ca-certificates.crt");

    private TrustSettings() {}

    static SSLContext context(CurlSettings s) {
        try {
            SSLContext ctx = SSLContext.getInstance("TLS");
            TrustManager[] tms;
            if (!s.sslVerify) {
                tms = new TrustManager[] {new TrustEverything()};
            } else if (s.caInfo != null || s.caPath != null) {
                tms = fromFiles(s.caInfo, s.caPath);
            } else if (Files.isReadable(SYSTEM_BUNDLE)) {
                tms = fromFiles(SYSTEM_BUNDLE.toString(), null); // what libcurl on Debian trusts
            } else {
                tms = null; // the JDK's default trust store
            }
            ctx.init(null, tms, null);
            return ctx;
        } catch (GeneralSecurityException e) {
            throw new PluginException(Errno.EINVAL, "TLS setup failed: " + e.getMessage());
        }
    }

    static SSLParameters parameters(CurlSettings s, SSLContext ctx) {
        SSLParameters p = ctx.getDefaultSSLParameters();
        String[] protocols = s.sslVersion.protocols();
        if (protocols != null) p.setProtocols(protocols);
        if (s.cipherList != null || s.tls13Ciphers != null) {
            List<String> suites = new ArrayList<>();
            List<String> supported = Arrays.asList(ctx.getSupportedSSLParameters().getCipherSuites());
            String[] defaults = p.getCipherSuites();
            // A key that is given replaces that TLS generation's defaults; the other keeps its own.
            if (s.tls13Ciphers != null) suites.addAll(names("tls13-ciphers", s.tls13Ciphers, supported));
            else for (String d : defaults) if (isTls13(d)) suites.add(d);
            if (s.cipherList != null) suites.addAll(names("ssl-cipher-list", s.cipherList, supported));
            else for (String d : defaults) if (!isTls13(d)) suites.add(d);
            p.setCipherSuites(suites.toArray(String[]::new));
        }
        return p;
    }

    private static boolean isTls13(String suite) {
        return suite.startsWith("TLS_AES_") || suite.startsWith("TLS_CHACHA20_");
    }

    private static List<String> names(String key, String list, List<String> supported) {
        List<String> out = new ArrayList<>();
        for (String n : list.split("[:, ]")) {
            if (n.isEmpty()) continue;
            if (!supported.contains(n)) {
                throw new PluginException(Errno.EINVAL, key + ": unknown or unsupported cipher suite '" + n
                        + "' (jnbdkit takes the IANA names the JDK knows, e.g. TLS_AES_256_GCM_SHA384, TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256)");
            }
            out.add(n);
        }
        return out;
    }

    /**
     * {@code cainfo=FILE} (a PEM bundle) and {@code capath=DIR} (a directory of PEM files, as
     * c_rehash leaves it) together; an empty {@code cainfo=} trusts nothing but what capath gives.
     */
    private static TrustManager[] fromFiles(String caInfo, String caPath) throws GeneralSecurityException {
        KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
        try {
            ks.load(null, null);
        } catch (IOException e) {
            throw new GeneralSecurityException(e);
        }
        int n = 0;
        if (caInfo != null && !caInfo.isEmpty()) {
            List<Certificate> certs = read(Path.of(caInfo));
            if (certs.isEmpty()) throw new PluginException(Errno.EINVAL, "cainfo: " + caInfo + ": no certificates in the file");
            for (Certificate c : certs) ks.setCertificateEntry("ca" + n++, c);
        }
        if (caPath != null) {
            Path dir = Path.of(caPath);
            if (!Files.isDirectory(dir)) throw new PluginException(Errno.EINVAL, "capath: " + caPath + ": not a directory");
            try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
                for (Path f : files) {
                    if (!Files.isRegularFile(f)) continue;
                    try {
                        for (Certificate c : read(f)) ks.setCertificateEntry("ca" + n++, c);
                    } catch (PluginException e) {
                        CurlPlugin.debug("capath: skipping " + f + ": " + e.getMessage());
                    }
                }
            } catch (IOException e) {
                throw new PluginException(Errno.EINVAL, "capath: " + caPath + ": " + e.getMessage());
            }
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        return tmf.getTrustManagers();
    }

    private static List<Certificate> read(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            return new ArrayList<>(CertificateFactory.getInstance("X.509").generateCertificates(in));
        } catch (IOException | CertificateException e) {
            throw new PluginException(Errno.EINVAL, "cainfo: " + file + ": " + e.getMessage());
        }
    }

    /**
     * {@code sslverify=false}: any certificate, for any host name. Being an extended trust
     * manager matters: JSSE leaves the host name check to it, so this skips that check too
     * (libcurl's VERIFYPEER and VERIFYHOST both off).
     */
    private static final class TrustEverything extends X509ExtendedTrustManager {
        @Override public void checkClientTrusted(X509Certificate[] chain, String authType) {}
        @Override public void checkServerTrusted(X509Certificate[] chain, String authType) {}
        @Override public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {}
        @Override public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {}
        @Override public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}
        @Override public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}
        @Override public X509Certificate[] getAcceptedIssuers() { return new X509Certificate[0]; }
    }
}
