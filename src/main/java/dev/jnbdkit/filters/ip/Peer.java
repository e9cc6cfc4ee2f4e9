package dev.jnbdkit.filters.ip;

import java.net.InetAddress;

/**
 * A client as the ip filter's rules see it: its socket family, its address (TCP), and for a
 * Unix socket the credentials of the process at the other end (SO_PEERCRED), or -1 where unknown.
 */
record Peer(Family family, InetAddress address, long pid, long uid, long gid, long vsockCid, long vsockPort) {
    enum Family { IPV4, IPV6, UNIX, VSOCK }

    static Peer inet(InetAddress a) {
        return new Peer(a instanceof java.net.Inet6Address ? Family.IPV6 : Family.IPV4, a, -1, -1, -1, -1, -1);
    }

    static Peer unix(long pid, long uid, long gid) { return new Peer(Family.UNIX, null, pid, uid, gid, -1, -1); }
}
