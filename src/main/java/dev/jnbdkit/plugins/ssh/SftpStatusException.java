package dev.jnbdkit.plugins.ssh;

import dev.jnbdkit.spi.Errno;

import java.io.IOException;

/**
 * An SFTP request the server answered with a failure status (SSH_FXP_STATUS other than OK), or
 * the end of the file where data was expected.
 */
final class SftpStatusException extends IOException {
    static final int EOF = 1;
    static final int NO_SUCH_FILE = 2;
    static final int PERMISSION_DENIED = 3;
    static final int OP_UNSUPPORTED = 8;

    private final int code;

    SftpStatusException(int code, String message) {
        super(message);
        this.code = code;
    }

    int code() { return code; }

    /** The errno a client hears for this status. */
    int errno() {
        return switch (code) {
            case NO_SUCH_FILE -> Errno.ENOENT;
            case PERMISSION_DENIED -> Errno.EPERM;
            case OP_UNSUPPORTED -> Errno.ENOTSUP;
            default -> Errno.EIO;
        };
    }

    /**
     * The status as libssh's error string shows it ({@code SFTP server: No such file}): the
     * server's own message where it sent one, else the standard text for the code.
     */
    String describe() {
        String m = getMessage();
        if (m == null || m.isEmpty()) m = standardText(code);
        return "SFTP server: " + m;
    }

    private static String standardText(int code) {
        return switch (code) {
            case 0 -> "Success";
            case EOF -> "End of file";
            case NO_SUCH_FILE -> "No such file";
            case PERMISSION_DENIED -> "Permission denied";
            case 4 -> "Failure";
            case 5 -> "Bad message";
            case 6 -> "No connection";
            case 7 -> "Connection lost";
            case OP_UNSUPPORTED -> "Operation unsupported";
            default -> "Unknown error " + code;
        };
    }
}
