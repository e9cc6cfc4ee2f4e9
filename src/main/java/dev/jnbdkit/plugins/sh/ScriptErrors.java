package dev.jnbdkit.plugins.sh;

import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.PluginException;

import java.nio.charset.StandardCharsets;

/**
 * Turns what a failing script printed on stderr into the error the server reports: an errno name
 * as the first word ({@code ENOSPC Out of space}) picks the errno, the rest of the first line is
 * the message. Without a recognised name the whole first line is the message and the errno is the
 * default (EIO, or ESHUTDOWN for the shutdown/disconnect statuses).
 */
final class ScriptErrors {
    private ScriptErrors() {}

    /** The names a script may print, with their Linux numbers. */
    private static final String[] NAMES = {
            "EPERM", "EIO", "ENOMEM", "EINVAL", "ENOSPC", "EOVERFLOW", "ESHUTDOWN", "ENOTSUP",
            "EOPNOTSUPP", "EROFS", "EDQUOT", "EFBIG",
    };
    private static final int[] NUMBERS = {
            Errno.EPERM, Errno.EIO, Errno.ENOMEM, Errno.EINVAL, Errno.ENOSPC, Errno.EOVERFLOW, Errno.ESHUTDOWN,
            Errno.ENOTSUP, Errno.EOPNOTSUPP, Errno.EROFS, Errno.EDQUOT, Errno.EFBIG,
    };

    /** The parsed stderr of a failed call. */
    record Parsed(int errno, String message, boolean multiLine) {}

    static Parsed parse(byte[] stderr, int defaultErrno) {
        String text = new String(stderr, StandardCharsets.UTF_8);
        int end = text.length();
        while (end > 0 && text.charAt(end - 1) == '\n') end--;
        text = text.substring(0, end);
        int errno = defaultErrno;
        int skip = 0;
        for (int i = 0; i < NAMES.length; i++) {
            String name = NAMES[i];
            if (!text.regionMatches(true, 0, name, 0, name.length())) continue;
            // The name must be a whole word: "EINVALID" is not EINVAL.
            if (text.length() == name.length() || isSpace(text.charAt(name.length()))) {
                errno = NUMBERS[i];
                skip = name.length();
                while (skip < text.length() && isSpace(text.charAt(skip))) skip++;
            }
            break;
        }
        String rest = text.substring(skip);
        int nl = rest.indexOf('\n');
        return new Parsed(errno, nl < 0 ? rest : rest.substring(0, nl), text.indexOf('\n') >= 0);
    }

    /**
     * The exception for a failed call of {@code script}: {@code "SCRIPT: message"}, or nbdkit's
     * words when stderr was empty. A multi-line stderr is logged whole at debug level first.
     */
    static PluginException failure(String script, byte[] stderr, int defaultErrno) {
        Parsed p = parse(stderr, defaultErrno);
        if (p.multiLine()) {
            dev.jnbdkit.spi.Nbdkit.debug(script + ": " + new String(stderr, StandardCharsets.UTF_8).strip());
        }
        String message = stderr.length == 0 || (p.message().isEmpty() && isBlank(stderr))
                ? script + ": script exited with error, but did not print an error message on stderr"
                : script + ": " + p.message();
        return new PluginException(p.errno(), message);
    }

    private static boolean isBlank(byte[] b) {
        for (byte x : b) if (x != '\n') return false;
        return true;
    }

    private static boolean isSpace(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == 0x0b;
    }
}
