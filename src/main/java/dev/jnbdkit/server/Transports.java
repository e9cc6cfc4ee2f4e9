package dev.jnbdkit.server;

/** Factories for transports made outside the server package. */
public final class Transports {
    private Transports() {}

    /** The {@code -s} connection on raw descriptors. */
    public static Transport fds(int in, int out) { return new FdTransport(in, out); }

    /** A connected socket the process inherited on descriptor 0 ({@code -s} over a socket). */
    public static Transport socket(java.nio.channels.SocketChannel channel) { return new ChannelTransport(channel); }
}
