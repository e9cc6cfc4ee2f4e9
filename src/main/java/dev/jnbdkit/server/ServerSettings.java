package dev.jnbdkit.server;

/**
 * What the command line decided about how connections are served.
 *
 * @param oldstyle      serve the oldstyle protocol (-o)
 * @param noSr          refuse structured replies and extended headers (--no-sr)
 * @param handshakeMask global handshake flags to advertise (--mask-handshake)
 * @param threads       requests in flight per connection (-t)
 * @param tls           TLS offered to clients (--tls, --tls-certificates, --tls-psk), or null when off
 * @param noMetaContexts refuse meta contexts (--no-mc): no block status
 * @param keepalive     SO_KEEPALIVE on TCP client sockets (--keepalive)
 */
public record ServerSettings(boolean oldstyle, boolean noSr, int handshakeMask, int threads,
                             dev.jnbdkit.server.tls.ServerTls tls, boolean noMetaContexts, boolean keepalive) {
    /** Without TLS. */
    public ServerSettings(boolean oldstyle, boolean noSr, int handshakeMask, int threads) {
        this(oldstyle, noSr, handshakeMask, threads, null);
    }

    /** Meta contexts offered, no keepalive. */
    public ServerSettings(boolean oldstyle, boolean noSr, int handshakeMask, int threads,
                          dev.jnbdkit.server.tls.ServerTls tls) {
        this(oldstyle, noSr, handshakeMask, threads, tls, false, false);
    }

    public static ServerSettings defaults() { return new ServerSettings(false, false, 0xffff, 16); }

    /** True under --tls=require: nothing but STARTTLS and ABORT is served before TLS is up. */
    public boolean tlsRequired() { return tls != null && tls.required(); }
}
