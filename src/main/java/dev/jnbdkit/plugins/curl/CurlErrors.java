package dev.jnbdkit.plugins.curl;

import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.PluginException;

import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.util.concurrent.TimeoutException;

/**
 * Failures in nbdkit's words: {@code WHAT: CURL_STRERROR: DETAIL}, with libcurl's
 * curl_easy_strerror texts for the same conditions (the detail is the JDK's where libcurl's
 * would name things the JDK does not report, such as milliseconds waited for a connect).
 */
final class CurlErrors {
    static final int ETIMEDOUT = 110;
    static final int EINTR = 4;

    private CurlErrors() {}

    /** An HTTP status of 400 or more, which libcurl's FAILONERROR turns into an error. */
    static StatusError status(String what, int status) {
        return new StatusError(status == 404 || status == 410 ? Errno.ENOENT : status == 403 || status == 401 ? Errno.EPERM : Errno.EIO,
                what + ": HTTP response code said error: The requested URL returned error: " + status);
    }

    /** The server answered, with an error status: unlike a transport failure, worth another try. */
    static final class StatusError extends PluginException {
        StatusError(int errno, String message) { super(errno, message); }
    }

    static PluginException transport(String what, URI uri, Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root != root.getCause()
                && (root instanceof java.util.concurrent.ExecutionException || root.getCause() instanceof UnresolvedAddressException
                || root.getCause() instanceof UnknownHostException || root instanceof java.io.UncheckedIOException)) {
            root = root.getCause();
        }
        String host = uri.getHost();
        int port = Http1Transport.port(uri);
        if (root instanceof UnresolvedAddressException || root instanceof UnknownHostException) {
            return new PluginException(Errno.EIO, what + ": Couldn't resolve host name: Could not resolve host: " + host);
        }
        if (root instanceof HttpConnectTimeoutException) {
            return new PluginException(ETIMEDOUT, what + ": Timeout was reached: Connection timed out to " + host + " port " + port);
        }
        if (root instanceof HttpTimeoutException || root instanceof TimeoutException) {
            return new PluginException(ETIMEDOUT, what + ": Timeout was reached: Operation timed out");
        }
        if (root instanceof ConnectException) {
            String reason = root.getMessage() == null || root.getMessage().isBlank() ? "Connection refused" : root.getMessage();
            return new PluginException(Errno.EIO, what + ": Couldn't connect to server: Failed to connect to "
                    + host + " port " + port + ": " + reason);
        }
        if (root instanceof SSLHandshakeException) {
            return new PluginException(Errno.EIO, what + ": SSL peer certificate or SSH remote key was not OK: " + message(root));
        }
        if (root instanceof SSLException) {
            return new PluginException(Errno.EIO, what + ": SSL connect error: " + message(root));
        }
        if (root instanceof IOException) {
            return new PluginException(Errno.EIO, what + ": Failure when receiving data from the peer: " + message(root));
        }
        return new PluginException(Errno.EIO, what + ": " + message(root));
    }

    private static String message(Throwable t) {
        String m = t.getMessage();
        return m == null || m.isBlank() ? t.getClass().getSimpleName() : m;
    }
}
