package dev.jnbdkit.plugins.nbd;

import dev.jnbdkit.plugins.PluginVersion;
import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.Export;
import dev.jnbdkit.spi.Handle;
import dev.jnbdkit.spi.Nbdkit;
import dev.jnbdkit.spi.Numbers;
import dev.jnbdkit.spi.OpenContext;
import dev.jnbdkit.spi.Plugin;
import dev.jnbdkit.spi.PluginException;
import dev.jnbdkit.spi.Sizes;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code nbd}: a proxy to another NBD server, as nbdkit-nbd-plugin(1), written on jnbdkit's own
 * protocol codecs (no libnbd). The server is given by exactly one of {@code socket=},
 * {@code hostname=} (with {@code port=}), {@code [uri=]} or {@code command=} (with
 * {@code arg=}s: started with socket activation); {@code export=}, {@code retry=},
 * {@code shared=}, {@code dynamic-export=} and {@code tls=} with {@code tls-certificates=},
 * {@code tls-verify=}, {@code tls-username=}, {@code tls-psk=} say how to talk to it.
 * {@code vsock=} and {@code socket-fd=} are refused.
 */
public final class NbdPlugin implements Plugin {
    private String socket;
    private String hostname;
    private String port;
    private String uri;
    /** command= and its arg=s, in command-line order. */
    private final List<String> command = new ArrayList<>();
    private String export;
    private long retry;
    private Boolean shared;
    private boolean dynamicExport;
    private String tls;
    private String tlsCertificates;
    private Boolean tlsVerify;
    private String tlsUsername;
    private String tlsPsk;

    /** Settled by configComplete. */
    private Target target;
    private String exportName;
    private TlsSettings tlsSettings;
    private ServerCommand server;
    private RemoteConnection sharedConnection;

    public NbdPlugin() {}

    @Override public String name() { return "nbd"; }

    @Override public String version() { return PluginVersion.VERSION; }

    @Override public String longname() { return "nbdkit nbd plugin"; }

    @Override public String description() { return "Proxies another NBD server."; }

    @Override
    public String configHelp() {
        return "[uri=]<URI>            nbd://, nbds://, nbd+unix:// or nbds+unix:// URI of the server.\n"
                + "socket=<PATH>          Connect to the server's Unix socket.\n"
                + "hostname=<HOST>        Connect over TCP to this host...\n"
                + "port=<PORT>            ...on this port or service (default 10809).\n"
                + "command=<PROGRAM>      Start this server (socket activation)...\n"
                + "arg=<ARG>              ...with these arguments, one per arg=.\n"
                + "export=<NAME>          The export to use (default \"\").\n"
                + "dynamic-export=<BOOL>  Use the export name each client asks for.\n"
                + "retry=<N>              Try a failed connection N more times, a second apart.\n"
                + "shared=<BOOL>          One connection for all clients, made at start\n"
                + "                       (default: with command= only).\n"
                + "tls=off|on|require     TLS towards the server (default off; on with a tls-* key).\n"
                + "tls-certificates=<DIR> Directory of ca-cert.pem to verify the server with.\n"
                + "tls-verify=<BOOL>      false: accept any server certificate.\n"
                + "tls-username=<NAME>    PSK identity (default: the local user name).\n"
                + "tls-psk=<FILE>         Pre-shared keys (psktool's username:hexkey lines).";
    }

    @Override public String magicConfigKey() { return "uri"; }

    @Override
    public void dumpPlugin(PrintStream out) {
        // What nbdkit's plugin reports about libnbd, for scripts that test for features.
        out.println("libnbd_tls=1");
        out.println("libnbd_uri=1");
        out.println("libnbd_vsock=0");
        out.println("libnbd_dynamic_list=1");
    }

    @Override
    public void config(String key, String value) {
        switch (key) {
            case "socket" -> socket = Path.of(value).toAbsolutePath().toString();
            case "hostname" -> hostname = value;
            case "port" -> port = value;
            case "uri" -> uri = value;
            // nbdkit's order: command= and arg= both append to the command line.
            case "command", "arg" -> command.add(value);
            case "export" -> export = value;
            case "retry" -> retry = Numbers.parseUnsigned("retry", value);
            case "shared" -> shared = Sizes.parseBool(value);
            case "dynamic-export" -> dynamicExport = Sizes.parseBool(value);
            case "tls" -> tls = switch (value.toLowerCase(Locale.ROOT)) {
                case "require", "required", "force" -> "require";
                default -> Sizes.parseBool(value) ? "on" : "off";
            };
            case "tls-certificates" -> tlsCertificates = Path.of(value).toAbsolutePath().toString();
            case "tls-verify" -> tlsVerify = Sizes.parseBool(value);
            case "tls-username" -> tlsUsername = value;
            case "tls-psk" -> tlsPsk = Path.of(value).toAbsolutePath().toString();
            case "vsock", "cid", "socket-fd" -> throw new PluginException(Errno.ENOTSUP,
                    key + "=: not supported by jnbdkit's nbd plugin");
            default -> throw new PluginException(Errno.EINVAL, "unknown parameter '" + key + "'");
        }
    }

    @Override
    public void configComplete() {
        boolean hasCommand = !command.isEmpty();
        int ways = (socket != null ? 1 : 0) + (hostname != null ? 1 : 0) + (uri != null ? 1 : 0) + (hasCommand ? 1 : 0);
        if (ways == 0) {
            throw new PluginException(Errno.EINVAL, "exactly one of \u2018socket\u2019, \u2018hostname\u2019, \u2018vsock\u2019, "
                    + "\u2018command\u2019, \u2018socket-fd\u2019 and \u2018uri\u2019 parameters must be specified");
        }
        if (ways > 1 || (port != null && hostname == null)) {
            throw new PluginException(Errno.EINVAL, "cannot mix Unix \u2018socket\u2019, TCP \u2018hostname\u2019/\u2018port\u2019, "
                    + "\u2018vsock\u2019, \u2018command\u2019, \u2018socket-fd\u2019 and \u2018uri\u2019 parameters");
        }
        if (shared == null) shared = hasCommand;
        if (dynamicExport && export != null) {
            throw new PluginException(Errno.EINVAL, "cannot mix 'dynamic-export' with explicit export name");
        }
        if (dynamicExport && shared) throw new PluginException(Errno.EINVAL, "cannot use 'dynamic-export' with shared connection");

        TlsSettings.Mode mode;
        boolean anyTlsKey = tlsCertificates != null || tlsVerify != null || tlsUsername != null || tlsPsk != null;
        if (tls != null) mode = TlsSettings.Mode.valueOf(tls.toUpperCase(Locale.ROOT));
        else mode = anyTlsKey ? TlsSettings.Mode.ON : TlsSettings.Mode.OFF;

        String psk = tlsPsk, certs = tlsCertificates, user = tlsUsername;
        exportName = export == null ? "" : export;
        if (uri != null) {
            NbdUri u = NbdUri.parse(uri);
            target = u.target();
            exportName = u.export();
            if (u.tls()) mode = TlsSettings.Mode.REQUIRE;
            if (u.pskFile() != null && psk == null) psk = u.pskFile().toString();
            if (u.certificates() != null && certs == null) certs = u.certificates().toString();
            if (u.username() != null && user == null) user = u.username();
        } else if (socket != null) {
            target = new Target.Unix(Path.of(socket));
        } else if (hostname != null) {
            target = new Target.Tcp(hostname, port(port));
        }
        if (user == null) user = System.getProperty("user.name", "");
        tlsSettings = mode == TlsSettings.Mode.OFF ? TlsSettings.OFF
                : new TlsSettings(mode, certs == null ? null : Path.of(certs), tlsVerify == null || tlsVerify, user,
                        psk == null ? null : Path.of(psk), null);
    }

    /** A port number, or a service name from /etc/services. */
    private static int port(String p) {
        if (p == null) return NbdUri.DEFAULT_PORT;
        try {
            int n = Integer.parseInt(p);
            if (n < 0 || n > 65535) throw new NumberFormatException();
            return n;
        } catch (NumberFormatException e) {
            Integer s = Services.lookup(p);
            if (s == null) throw new PluginException(Errno.EINVAL, "port: unknown service or bad port number: " + p);
            return s;
        }
    }

    @Override
    public void afterFork() {
        if (!command.isEmpty()) {
            server = ServerCommand.start(command);
            target = server.target();
        }
        if (shared) sharedConnection = connect(exportName);
    }

    /** A new connection through the handshake, retried as {@code retry=} says. */
    private RemoteConnection connect(String name) {
        TlsSettings t = tlsSettings.withHostname(target.hostname());
        for (long attempt = 0; ; attempt++) {
            Wire w = null;
            try {
                w = target.connect();
                Negotiated n = ClientHandshake.negotiate(w, t, name);
                return new RemoteConnection(n, target.describe());
            } catch (IOException e) {
                if (w != null) w.close();
                if (attempt >= retry) {
                    throw new PluginException(Errno.EIO, "cannot connect to the NBD server " + target.describe() + ": " + e.getMessage());
                }
                Nbdkit.debug("nbd: connecting to " + target.describe() + " failed (" + e.getMessage() + "); retrying in 1 second");
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new PluginException(Errno.EIO, "interrupted while retrying the connection");
                }
            }
        }
    }

    @Override
    public List<Export> listExports(boolean readonly, boolean isTls) {
        if (!dynamicExport) return null;
        Wire w = null;
        try {
            w = target.connect();
            return ClientHandshake.list(w, tlsSettings.withHostname(target.hostname()));
        } catch (IOException e) {
            throw new PluginException(Errno.EIO, "cannot list the exports of the NBD server " + target.describe() + ": " + e.getMessage());
        } finally {
            if (w != null) w.close();
        }
    }

    @Override public Class<? extends Handle> handleType() { return NbdHandle.class; }

    @Override
    public Handle open(OpenContext context) {
        if (shared) {
            if (sharedConnection.isDead()) {
                throw new PluginException(Errno.EIO, "the shared connection to the NBD server " + target.describe() + " is lost");
            }
            return new NbdHandle(sharedConnection, false);
        }
        return new NbdHandle(connect(dynamicExport ? context.exportName() : exportName), true);
    }

    @Override
    public void cleanup() {
        if (sharedConnection != null) sharedConnection.close();
        if (server != null) server.close();
    }
}
