package dev.jnbdkit.filters.ext2;

/**
 * A failure of the ext2 reader: one of the library's {@link Ext2Error codes}, whose message is
 * the ext2fs library's text, optionally followed by a detail that helps a user find the problem.
 */
final class Ext2Exception extends RuntimeException {
    private final Ext2Error error;

    Ext2Exception(Ext2Error error) {
        super(error.message);
        this.error = error;
    }

    Ext2Exception(Ext2Error error, String detail) {
        super(error.message + " (" + detail + ")");
        this.error = error;
    }

    Ext2Error error() { return error; }
}
