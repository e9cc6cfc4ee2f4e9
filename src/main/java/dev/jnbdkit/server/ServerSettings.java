package dev.jnbdkit.server;

/**
 * What the command line decided about how connections are served.
 *
 * @param oldstyle      serve the oldstyle protocol (-o)
 * @param noSr          refuse structured replies and extended headers (--no-sr)
 * @param handshakeMask global handshake flags to advertise (--mask-handshake)
 * @param threads       requests in flight per connection (-t)
 */
public record ServerSettings(boolean oldstyle, boolean noSr, int handshakeMask, int threads) {
    public static ServerSettings defaults() { return new ServerSettings(false, false, 0xffff, 16); }
}
