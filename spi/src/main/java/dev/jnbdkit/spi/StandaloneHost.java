package dev.jnbdkit.spi;

/**
 * The {@link Host} when no server is on the class path (a plugin's own unit tests against the
 * SPI alone): errors go to stderr in the server's format, debug messages are dropped (as without
 * {@code -v}), and passwords are only the literal form.
 */
final class StandaloneHost implements Host {
    private static final String PROGRAM = System.getProperty("jnbdkit.progname", "jnbdkit");

    @Override public void debug(String message) {}

    @Override public void error(String message) { System.err.println(PROGRAM + ": error: " + message); }

    @Override public byte[] passwordFromTerminal() { throw noServer(); }

    @Override public byte[] firstLineOfDescriptor(String what, int fd) { throw noServer(); }

    @Override public byte[] firstLineOfFile(String path) { throw noServer(); }

    private static PluginException noServer() {
        return new PluginException(Errno.ENOTSUP,
                "reading a password from a terminal, a descriptor or a file needs the jnbdkit server");
    }
}
