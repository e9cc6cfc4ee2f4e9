package dev.jnbdkit.spi;

import java.nio.charset.StandardCharsets;

/**
 * nbdkit_read_password(3) for any plugin or filter (the python plugin's
 * {@code nbdkit.read_password}, the ssh plugin's {@code password=}, the luks filter's
 * {@code passphrase=}), as nbdkit 1.32 behaves (checked against it): {@code VALUE} is the
 * password; {@code -} reads one line from stdin, which must be a terminal, with echo off and a
 * {@code password: } prompt on stdout (refused under {@code -s}); {@code -FD} reads the first
 * line of an inherited descriptor (not 0, 1 or 2) and closes it; {@code +FILE} reads the first
 * line of a file. One trailing newline is dropped; an empty file is an empty password. Errors
 * are nbdkit's messages.
 *
 * <p>Shared by the python plugin's {@code nbdkit.read_password} and the plugins with password
 * parameters (curl's {@code password=}, {@code proxy-password=} and {@code cookie=}, ssh's
 * {@code password=}).
 *
 * <p>The forms are told apart here; the reading itself (system calls) is the server's
 * {@link Host}.
 */
public final class Passwords {
    private Passwords() {}

    public static byte[] read(String value) {
        if (value.equals("-")) {
            if (!Nbdkit.stdioSafe()) throw new PluginException(Errno.EINVAL, "stdin is not available for reading password");
            return Nbdkit.host().passwordFromTerminal();
        }
        if (value.startsWith("-")) {
            int fd = parseFd(value.substring(1));
            if (fd == 0 || fd == 1 || fd == 2) {
                throw new PluginException(Errno.EINVAL, "cannot use password -FD for stdin/stdout/stderr");
            }
            return Nbdkit.host().firstLineOfDescriptor(value.substring(1), fd);
        }
        if (value.startsWith("+")) return Nbdkit.host().firstLineOfFile(value.substring(1));
        return value.getBytes(StandardCharsets.UTF_8);
    }

    /** The descriptor number as nbdkit_parse_int reads it. */
    private static int parseFd(String s) {
        return Numbers.parseInt("password file descriptor", s);
    }
}
