package dev.jnbdkit.spi;

/**
 * What the SPI needs from the server it runs in: the server's log and the system calls behind
 * {@link Passwords}. The SPI (the {@code jnbdkit-spi} artifact) depends on nothing but
 * {@code java.*}, so the server supplies these: it installs its host ({@link Nbdkit#installHost})
 * before any plugin or filter code runs, and it also names it as a
 * {@link java.util.ServiceLoader service} for code that calls the SPI outside of a server start
 * (unit tests). With no server on the class path at all, errors go to stderr and the
 * descriptor, file and terminal forms of a password are refused.
 *
 * <p>Plugins and filters do not call this: they call {@link Nbdkit} and {@link Passwords}.
 */
public interface Host {
    /** nbdkit_debug: one line of the server's log, shown only with {@code -v}. */
    void debug(String message);

    /** nbdkit_error: one error line of the server's log. */
    void error(String message);

    /**
     * {@code password=-}: one line typed on stdin, which must be a terminal, with echo off after a
     * {@code password: } prompt on stdout; without its newline. Errors are nbdkit's messages.
     */
    byte[] passwordFromTerminal();

    /** {@code password=-FD}: the first line of descriptor {@code fd} without its newline; closes it. */
    byte[] firstLineOfDescriptor(String what, int fd);

    /** {@code password=+FILE}: the first line of the file without its newline. */
    byte[] firstLineOfFile(String path);
}
