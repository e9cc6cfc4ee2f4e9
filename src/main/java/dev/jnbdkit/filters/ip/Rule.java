package dev.jnbdkit.filters.ip;

import java.net.InetAddress;

/** One allow/deny rule (nbdkit-ip-filter's RULES), and whether a peer matches it. */
sealed interface Rule {
    boolean matches(Peer p);

    /** all / any. */
    record Any() implements Rule {
        public boolean matches(Peer p) { return true; }
    }

    /** anyipv4, anyipv6, anyunix, anyvsock. */
    record AnyOf(Peer.Family family) implements Rule {
        public boolean matches(Peer p) { return p.family() == family; }
    }

    /** An address with a prefix length (32 or 128 for a single address). */
    record Network(Peer.Family family, byte[] network, int prefix) implements Rule {
        public boolean matches(Peer p) {
            if (p.family() != family || p.address() == null) return false;
            return Network.inPrefix(p.address().getAddress(), network, prefix);
        }

        static boolean inPrefix(byte[] addr, byte[] net, int prefix) {
            if (addr.length != net.length) return false;
            for (int bit = 0; bit < prefix; bit++) {
                int mask = 0x80 >>> (bit & 7);
                if ((addr[bit >> 3] & mask) != (net[bit >> 3] & mask)) return false;
            }
            return true;
        }

        @Override public String toString() {
            try {
                return InetAddress.getByAddress(network).getHostAddress() + "/" + prefix;
            } catch (java.net.UnknownHostException e) {
                return "?/" + prefix;
            }
        }
    }

    /** pid:, uid:, gid: (Unix sockets), vsock-cid:, vsock-port: (AF_VSOCK). */
    record Id(Kind kind, long id) implements Rule {
        enum Kind { PID, UID, GID, VSOCK_CID, VSOCK_PORT }

        public boolean matches(Peer p) {
            return switch (kind) {
                case PID -> p.family() == Peer.Family.UNIX && p.pid() == id;
                case UID -> p.family() == Peer.Family.UNIX && p.uid() == id;
                case GID -> p.family() == Peer.Family.UNIX && p.gid() == id;
                case VSOCK_CID -> p.family() == Peer.Family.VSOCK && p.vsockCid() == id;
                case VSOCK_PORT -> p.family() == Peer.Family.VSOCK && p.vsockPort() == id;
            };
        }
    }
}
