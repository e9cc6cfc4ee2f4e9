package dev.jnbdkit.server;

import dev.jnbdkit.spi.Nbdkit;

/** What a plugin may ask about the connection it serves (nbdkit_export_name, nbdkit_disconnect). */
final class ConnectionState implements Nbdkit.ConnectionInfo {
    private final Runnable forceClose;
    private volatile String exportName = "";
    private volatile boolean disconnectRequested;
    private volatile boolean tls;

    ConnectionState(Runnable forceClose) {
        this.forceClose = forceClose;
    }

    void setExportName(String name) { exportName = name; }

    @Override public String exportName() { return exportName; }

    @Override public boolean isTls() { return tls; }

    /** The connection has completed STARTTLS (nbdkit_is_tls is true from now on). */
    void setTls() { tls = true; }

    boolean disconnectRequested() { return disconnectRequested; }

    @Override
    public void disconnect(boolean force) {
        disconnectRequested = true;
        if (force) forceClose.run();
    }
}
