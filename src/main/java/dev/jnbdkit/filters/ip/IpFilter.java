package dev.jnbdkit.filters.ip;

import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.Filter;
import dev.jnbdkit.spi.NextBackend;
import dev.jnbdkit.spi.Nbdkit;
import dev.jnbdkit.spi.PluginException;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * nbdkit-ip-filter: lets a client connect or not by its source: IPv4/IPv6 addresses and networks,
 * the socket family, and for Unix sockets the peer's pid, uid and gid. Checked in preconnect, so
 * a refused client is dropped before the handshake.
 *
 * <p>The peer is the connection's socket address and, on a Unix socket, its SO_PEERCRED
 * credentials ({@link Nbdkit.ConnectionInfo}); a client whose peer is unknown (-s over pipes) is
 * refused whenever rules are given, as nbdkit refuses a client whose peer name it cannot read.
 */
public final class IpFilter implements Filter {
    /** The current connection's peer, or null when the server does not say. */
    static volatile Supplier<Peer> peers = IpFilter::currentPeer;

    /** The peer of the connection this thread serves, or null if it cannot be told. */
    static Peer currentPeer() {
        Nbdkit.ConnectionInfo c;
        try {
            c = Nbdkit.connection();
        } catch (PluginException e) {
            return null;
        }
        java.net.SocketAddress a = c.peerAddress();
        if (a instanceof java.net.InetSocketAddress inet) return Peer.inet(inet.getAddress());
        if (a instanceof java.net.UnixDomainSocketAddress) {
            try {
                Nbdkit.PeerCredentials cred = c.peerCredentials();
                return Peer.unix(cred.pid(), cred.uid(), cred.gid());
            } catch (PluginException e) {
                return Peer.unix(-1, -1, -1);
            }
        }
        return null;
    }

    private final List<Rule> allow = new ArrayList<>();
    private final List<Rule> deny = new ArrayList<>();

    @Override public String name() { return "ip"; }

    @Override public String longname() { return "nbdkit ip filter"; }

    @Override
    public String configHelp() {
        return "allow=addr[,addr...]     Set allow list.\n"
                + "deny=addr[,addr...]      Set deny list.";
    }

    @Override
    public void config(NextBackend next, String key, String value) {
        switch (key) {
            case "allow" -> allow.addAll(Rules.parse(key, value));
            case "deny" -> deny.addAll(Rules.parse(key, value));
            default -> next.config(key, value);
        }
    }

    @Override
    public void preconnect(NextBackend next, boolean readonly) {
        next.preconnect(readonly);
        if (allow.isEmpty() && deny.isEmpty()) return;
        Peer p = peers.get();
        if (p == null) {
            throw new PluginException(Errno.EINVAL, "ip: the client's address is not known: connection refused");
        }
        if (!Rules.permitted(allow, deny, p)) {
            throw new PluginException(Errno.EINVAL, "client not permitted to connect because of source address restriction");
        }
    }
}
