package dev.jnbdkit.plugins.ssh;

import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.PluginException;

/**
 * The {@code %}-sequences libssh expands in {@code config=}, {@code identity=} and
 * {@code known-hosts=} (nbdkit-ssh-plugin(1), "Path expansion"), and a leading {@code ~/}:
 * {@code %d} the local SSH directory, {@code %u} the local user, {@code %l} the local host name,
 * {@code %h} the remote host, {@code %r} the remote user, {@code %p} the port, {@code %%} a
 * percent sign. Any other sequence is an error, as in libssh.
 */
record PathExpansion(String sshDir, String localUser, String localHost, String remoteHost,
                     String remoteUser, int port) {

    String expand(String path) {
        String p = path.startsWith("~/") ? home() + path.substring(1) : path;
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < p.length(); i++) {
            char c = p.charAt(i);
            if (c != '%') {
                out.append(c);
                continue;
            }
            if (++i == p.length()) throw bad(path);
            switch (p.charAt(i)) {
                case 'd' -> out.append(sshDir);
                case 'u' -> out.append(localUser);
                case 'l' -> out.append(localHost);
                case 'h' -> out.append(remoteHost);
                case 'r' -> out.append(remoteUser);
                case 'p' -> out.append(port);
                case '%' -> out.append('%');
                default -> throw bad(path);
            }
        }
        return out.toString();
    }

    static String home() { return System.getProperty("user.home"); }

    private static PluginException bad(String path) {
        return new PluginException(Errno.EINVAL, "wrong escape sequence detected in " + path);
    }
}
