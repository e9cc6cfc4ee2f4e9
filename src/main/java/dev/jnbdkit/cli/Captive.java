package dev.jnbdkit.cli;

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
        String export = encodePath(exportName == null ? "" : exportName);
        if (unixSocket != null) {
            return "nbd+unix:///" + export + "?socket=" + encodeQuery(unixSocket);
        }
        return "nbd://localhost:" + port + (export.isEmpty() ? "" : "/" + export);
    }

    static int run(String command, String unixSocket, int port, String exportName) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder("/bin/sh", "-c", command).inheritIO();
        Map<String, String> env = pb.environment();
        String uri = uri(unixSocket, port, exportName);
        env.put("uri", uri);
        env.put("nbd", uri);
        env.put("port", unixSocket == null ? Integer.toString(port) : "");
        env.put("unixsocket", unixSocket == null ? "" : unixSocket);
        env.put("exportname", exportName == null ? "" : exportName);
        env.remove("tls");
        Process p = pb.start();
        int status = p.waitFor();
        // A command killed by a signal: report it as the shell would (128 + signal).
        return status;
    }

    private static String encodePath(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20").replace("%2F", "/");
    }

    private static String encodeQuery(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20").replace("%2F", "/");
    }
}
