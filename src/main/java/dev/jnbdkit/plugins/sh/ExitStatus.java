package dev.jnbdkit.plugins.sh;

/**
 * What a script's exit status means, as nbdkit-sh-plugin(1) (nbdkit 1.34) defines it: 0 success,
 * 2 method missing, 3 false, 4/5 shut the server down, 6 drop the client at once, 7/8 drop it
 * after the reply; 1 and everything else is an error described on stderr.
 */
enum ExitStatus {
    OK,
    ERROR,
    MISSING,
    FALSE,
    SHUTDOWN_OK,
    SHUTDOWN_ERROR,
    DISCONNECT_FORCE,
    DISCONNECT_OK,
    DISCONNECT_ERROR;

    /** The highest status with a meaning, printed by --dump-plugin as {@code max_known_status=}. */
    static final int MAX_KNOWN = 8;

    /** Codes 9-15 are reserved: like 1, and anything above 15 too (a signal death is 128+N). */
    static ExitStatus of(int code) {
        return switch (code) {
            case 0 -> OK;
            case 2 -> MISSING;
            case 3 -> FALSE;
            case 4 -> SHUTDOWN_OK;
            case 5 -> SHUTDOWN_ERROR;
            case 6 -> DISCONNECT_FORCE;
            case 7 -> DISCONNECT_OK;
            case 8 -> DISCONNECT_ERROR;
            default -> ERROR;
        };
    }
}
