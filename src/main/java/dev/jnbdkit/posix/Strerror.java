package dev.jnbdkit.posix;

/** Messages for the errno values we meet, as strerror(3) gives them on Linux. */
public final class Strerror {
    private Strerror() {}

    public static String message(int errno) {
        return switch (errno) {
            case 1 -> "Operation not permitted";
            case 2 -> "No such file or directory";
            case 4 -> "Interrupted system call";
            case 5 -> "Input/output error";
            case 9 -> "Bad file descriptor";
            case 11 -> "Resource temporarily unavailable";
            case 12 -> "Cannot allocate memory";
            case 13 -> "Permission denied";
            case 17 -> "File exists";
            case 21 -> "Is a directory";
            case 22 -> "Invalid argument";
            case 28 -> "No space left on device";
            case 30 -> "Read-only file system";
            case 32 -> "Broken pipe";
            case 95 -> "Operation not supported";
            case 98 -> "Address already in use";
            case 104 -> "Connection reset by peer";
            case 108 -> "Cannot send after transport endpoint shutdown";
            case 111 -> "Connection refused";
            default -> FileCalls.strerror(errno);   // the C library knows the rest
        };
    }
}
