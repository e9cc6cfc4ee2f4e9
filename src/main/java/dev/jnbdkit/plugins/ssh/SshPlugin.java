package dev.jnbdkit.plugins.ssh;

import dev.jnbdkit.plugins.PluginVersion;
import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.Handle;
import dev.jnbdkit.spi.Numbers;
import dev.jnbdkit.spi.OpenContext;
import dev.jnbdkit.spi.Passwords;
import dev.jnbdkit.spi.Plugin;
import dev.jnbdkit.spi.PluginException;
import dev.jnbdkit.spi.Sizes;
import dev.jnbdkit.spi.ThreadModel;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * {@code ssh}: a remote file served over SFTP, as nbdkit-ssh-plugin(1). Each NBD connection
 * makes its own SSH connection (host key checked against the known-hosts files unless
 * {@code verify-remote-host=false}; authentication by public key — the agent and identity files
 * — then password) and opens the file; requests are serialized per connection (nbdkit's thread
 * model for this plugin). Flush is the server's fsync@openssh.com where it offers it.
 *
 * <p>The SSH transport is JSch, named by this package only: its classes load when the first
 * connection is opened, never when another plugin is used.
 */
public final class SshPlugin implements Plugin {
    private String host;
    private String port;
    private String path;
    private String user;
    private byte[] password;
    private final List<String> identities = new ArrayList<>();
    private String knownHosts;
    private boolean verifyRemoteHost = true;
    private String config;
    private boolean compression;
    private long timeout;
    private boolean create;
    private long createSize = -1;
    private int createMode = 0600;
    private int logLevel;

    private SshSettings settings;
    /** create=true makes the file on the first connection only (the page's "first NBD connection"). */
    private final AtomicBoolean created = new AtomicBoolean();

    public SshPlugin() {}

    @Override public String name() { return "ssh"; }

    @Override public String version() { return PluginVersion.VERSION; }

    @Override public String longname() { return "nbdkit ssh plugin"; }

    @Override public String description() { return "Serves a remote file over SSH (SFTP)."; }

    @Override
    public String configHelp() {
        return """
                host=<HOST>               (required) The SSH server.
                [path=]<PATH>             (required) The remote file (relative to home).
                port=<PORT>               SSH port (default 22).
                user=<USER>               Remote user name (default: the local one).
                password=<PASSWORD>       Password (also -, -FD, +FILE).
                config=<FILE>             SSH config file to read instead (empty: none).
                known-hosts=<FILE>        known_hosts file instead of ~/.ssh/known_hosts.
                identity=<FILE>           Private key to try first (repeatable).
                timeout=<SECS>            Time limit for connecting.
                verify-remote-host=false  Do not check the server's host key.
                compression=true          Compress the SSH connection.
                create=true               Create (or replace) the remote file.
                create-mode=<MODE>        Permissions of the created file (default 0600).
                create-size=<SIZE>        Size of the created file.""";
    }

    @Override public String magicConfigKey() { return "path"; }

    @Override
    public boolean debugFlag(String flag, int value) {
        if (!flag.equals("log")) return false;
        logLevel = value;
        return true;
    }

    @Override
    public void config(String key, String value) {
        switch (key) {
            case "host" -> host = value;
            case "port" -> port = value;
            case "path" -> path = value;
            case "user" -> user = value;
            case "password" -> password = Passwords.read(value);
            case "config" -> config = value;
            case "identity" -> identities.add(value);
            case "known-hosts" -> knownHosts = value;
            case "verify-remote-host" -> verifyRemoteHost = Sizes.parseBool(value);
            case "compression" -> compression = Sizes.parseBool(value);
            case "timeout" -> timeout = Numbers.parseUnsigned("timeout", value);
            case "create" -> create = Sizes.parseBool(value);
            case "create-size" -> createSize = Sizes.parse(value);
            case "create-mode" -> createMode = (int) Numbers.parseUnsigned("create-mode", value);
            default -> throw new PluginException(Errno.EINVAL, "unknown parameter '" + key + "'");
        }
    }

    @Override
    public void configComplete() {
        if (host == null || path == null) {
            throw new PluginException(Errno.EINVAL,
                    "you must supply the host and path parameters after the plugin name on the command line");
        }
        if (create && createSize < 0) {
            throw new PluginException(Errno.EINVAL,
                    "if using create=true, you must specify the size of the new remote file using create-size=SIZE");
        }
        settings = new SshSettings(host, port, path, user, password, List.copyOf(identities), knownHosts,
                verifyRemoteHost, config, compression, timeout, create, createSize, createMode);
    }

    @Override public ThreadModel threadModel() { return ThreadModel.SERIALIZE_REQUESTS; }

    @Override public Class<? extends Handle> handleType() { return SshHandle.class; }

    @Override
    public Handle open(OpenContext context) {
        if (settings.create() && !created.get()) {
            // Two connections opening at once must not both create (and truncate) the file.
            synchronized (created) {
                if (!created.get()) {
                    SshHandle h = SshConnection.open(settings, context.readonly(), true, logLevel);
                    created.set(true);
                    return h;
                }
            }
        }
        return SshConnection.open(settings, context.readonly(), false, logLevel);
    }
}
