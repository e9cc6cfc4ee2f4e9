package dev.jnbdkit.cli;

import dev.jnbdkit.server.tls.ServerTls;

import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * {@code --run COMMAND}: run the command under {@code /bin/sh -c} with $uri, $nbd, $port,
 * $unixsocket, $exportname and $tls set (nbdkit-captive(1)); the server exits with its status.
 */
final class Captive {
    private Captive() {}

    /** The NBD URI of the server: nbd+unix:///EXPORT?socket=PATH or nbd://localhost:PORT/EXPORT. */
    static String uri(String unixSocket, int port, String exportName) {
        return uri(unixSocket, port, exportName, false);
    }

    /** As {@link #uri(String, int, String)}; with {@code tlsRequired} the scheme is nbds or nbds+unix. */
    static String uri(String unixSocket, int port, String exportName, boolean tlsRequired) {
        String export = encodePath(exportName == null ? "" : exportName);
        String s = tlsRequired ? "nbds" : "nbd";
        if (unixSocket != null) {
            return s + "+unix:///" + export + "?socket=" + encodePath(unixSocket);
        }
        return s + "://localhost:" + port + (export.isEmpty() ? "" : "/" + export);
    }

    static int run(String command, String unixSocket, int port, String exportName) throws IOException, InterruptedException {
        return run(command, unixSocket, port, exportName, null);
    }

    /** Runs the captive command; {@code tls} (null when off) sets $tls and, under require, an nbds URI. */
    static int run(String command, String unixSocket, int port, String exportName, ServerTls tls)
            throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder("/bin/sh", "-c", command).inheritIO();
        Map<String, String> env = pb.environment();
        String uri = uri(unixSocket, port, exportName, tls != null && tls.required());
        env.put("uri", uri);
        env.put("nbd", uri);
        env.put("port", unixSocket == null ? Integer.toString(port) : "");
        env.put("unixsocket", unixSocket == null ? "" : unixSocket);
        env.put("exportname", exportName == null ? "" : exportName);
        if (tls != null) env.put("tls", Integer.toString(tls.captiveValue()));
        else env.remove("tls");
        // The socket-activation variables were for us, not for the command (as sd_listen_fds unsets them).
        env.remove("LISTEN_PID");
        env.remove("LISTEN_FDS");
        env.remove("LISTEN_FDNAMES");
        // Java reports a command killed by a signal as 128 + signal, as the shell does.
        return Stdio.runWithOriginals(pb.command(), env);
    }

    private static String encodePath(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20").replace("%2F", "/");
    }

}
