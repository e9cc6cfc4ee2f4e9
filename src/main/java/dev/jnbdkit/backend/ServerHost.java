package dev.jnbdkit.backend;

import dev.jnbdkit.log.Log;
import dev.jnbdkit.posix.PasswordInput;
import dev.jnbdkit.spi.Host;
import dev.jnbdkit.spi.Nbdkit;

/**
 * The server's side of the SPI's {@link Host}: nbdkit_debug and nbdkit_error are the server's
 * {@link Log}, passwords are read with {@link PasswordInput}. Installed by the backend's entry
 * points (the plugin registry, the stack) before any plugin or filter code runs; named in
 * META-INF/services for SPI calls made outside of a server start (unit tests).
 */
public final class ServerHost implements Host {
    private static final ServerHost INSTANCE = new ServerHost();

    /** A service provider: ServiceLoader makes one. */
    public ServerHost() {}

    /** Installs the server's host into the SPI (idempotent). */
    static void install() { Nbdkit.installHost(INSTANCE); }

    @Override public void debug(String message) { Log.debug(message); }

    @Override public void error(String message) { Log.error(message); }

    @Override public byte[] passwordFromTerminal() { return PasswordInput.fromTerminal(); }

    @Override public byte[] firstLineOfDescriptor(String what, int fd) { return PasswordInput.firstLine(what, fd); }

    @Override public byte[] firstLineOfFile(String path) { return PasswordInput.firstLineOfFile(path); }
}
