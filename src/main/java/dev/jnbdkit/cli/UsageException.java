package dev.jnbdkit.cli;

import java.io.PrintStream;

/**
 * A command line nbdkit would refuse. The message is the complete text for standard error, already
 * prefixed with the program name (one or more lines, without the final newline). When
 * {@link #showUsage()} is true, nbdkit also prints its usage synopsis to standard output (it does so
 * for the errors getopt reports: unknown option, missing argument, ambiguous abbreviation).
 */
public final class UsageException extends Exception {
    private static final long serialVersionUID = 1L;

    private final int exitStatus;
    private final boolean showUsage;

    public UsageException(String message, int exitStatus, boolean showUsage) {
        super(message);
        this.exitStatus = exitStatus;
        this.showUsage = showUsage;
    }

    /** A plain failure: exit status 1, no usage text. */
    public UsageException(String message) { this(message, 1, false); }

    /** The exit status nbdkit uses for this error (always 1 today). */
    public int exitStatus() { return exitStatus; }

    /** Whether the usage synopsis goes to standard output after the message. */
    public boolean showUsage() { return showUsage; }

    /**
     * Prints the message to {@code err} and, when nbdkit would, the usage synopsis to {@code out}.
     *
     * @return the exit status to use
     */
    public int report(PrintStream out, PrintStream err) {
        err.println(getMessage());
        err.flush();
        if (showUsage) {
            Help.printUsage(out);
            out.flush();
        }
        return exitStatus;
    }
}
