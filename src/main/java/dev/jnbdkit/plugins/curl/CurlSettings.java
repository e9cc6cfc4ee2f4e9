package dev.jnbdkit.plugins.curl;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;

/** The curl plugin's parameters as the command line gave them; read by {@link HttpSession}. */
final class CurlSettings {
    String url;
    URI uri;
    String user;
    String password;
    String cookie;
    String cookieFile;
    String cookieJar;
    String cookieScript;
    long cookieScriptRenew;
    final List<HeaderLine> headers = new ArrayList<>();
    String headerScript;
    long headerScriptRenew;
    boolean sslVerify = true;
    String caInfo;
    String caPath;
    /** Seconds; 0: no limit (libcurl's default). */
    long timeoutSeconds;
    boolean followLocation = true;
    int connections = 4;
    String userAgent;
    String proxy;
    String proxyUser;
    String proxyPassword;
    /** Lower-case scheme names; null: any the client speaks. */
    List<String> protocols;
    HttpVersionKey httpVersion = HttpVersionKey.NONE;
    SslVersionKey sslVersion = SslVersionKey.DEFAULT;
    String cipherList;
    String tls13Ciphers;
    boolean debugScripts;
    boolean verbose;
}
