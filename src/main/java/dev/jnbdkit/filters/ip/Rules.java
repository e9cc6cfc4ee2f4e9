package dev.jnbdkit.filters.ip;

import dev.jnbdkit.filters.FilterArgs;
import dev.jnbdkit.spi.Numbers;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/** Parses {@code allow=} / {@code deny=} lists with nbdkit's messages, and decides a peer. */
final class Rules {
    private Rules() {}

    /** The comma-separated rules of {@code key=value} (empty items are skipped). */
    static List<Rule> parse(String key, String value) {
        List<Rule> out = new ArrayList<>();
        for (String item : value.split(",", -1)) {
            if (!item.isEmpty()) out.add(parseOne(key, item));
        }
        return out;
    }

    static Rule parseOne(String key, String v) {
        switch (v) {
            case "all", "any": return new Rule.Any();
            case "allipv4", "anyipv4": return new Rule.AnyOf(Peer.Family.IPV4);
            case "allipv6", "anyipv6": return new Rule.AnyOf(Peer.Family.IPV6);
            case "allunix", "anyunix": return new Rule.AnyOf(Peer.Family.UNIX);
            case "allvsock", "anyvsock": return new Rule.AnyOf(Peer.Family.VSOCK);
            default: break;
        }
        for (Rule.Id.Kind k : Rule.Id.Kind.values()) {
            String prefix = k.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-') + ":";
            if (v.startsWith(prefix)) {
                int id = Numbers.parseInt(prefix, v.substring(prefix.length()));
                if (id < 0) throw FilterArgs.bad(prefix + " parameter out of range");
                return new Rule.Id(k, id);
            }
        }
        int slash = v.indexOf('/');
        String addr = slash < 0 ? v : v.substring(0, slash);
        Integer prefix = slash < 0 ? null : Numbers.parseInt(key, v.substring(slash + 1));
        byte[] bytes = literal(addr);
        if (bytes == null) throw FilterArgs.bad("don't know how to parse rule: " + key + "=" + v);
        int max = bytes.length * 8;
        int p = prefix == null ? max : prefix;
        if (p < 0 || p > max || !hostBitsZero(bytes, p)) {
            throw FilterArgs.bad("cannot parse address \"" + addr + "\" from " + key + "=" + v);
        }
        return new Rule.Network(bytes.length == 4 ? Peer.Family.IPV4 : Peer.Family.IPV6, bytes, p);
    }

    /** An IPv4 dotted quad or an IPv6 address as inet_pton reads them (never a host name), or null. */
    static byte[] literal(String s) {
        if (s.matches("\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}")) {
            byte[] b = new byte[4];
            String[] parts = s.split("\\.");
            for (int i = 0; i < 4; i++) {
                int n = Integer.parseInt(parts[i]);
                if (n > 255 || (parts[i].length() > 1 && parts[i].startsWith("0"))) return null;
                b[i] = (byte) n;
            }
            return b;
        }
        if (s.indexOf(':') >= 0 && s.matches("[0-9A-Fa-f:.]+")) {
            try {
                byte[] b = InetAddress.getByName(s).getAddress(); // a literal: no lookup happens
                // Java turns ::ffff:a.b.c.d into an IPv4 address; the rule is still an IPv6 one.
                if (b.length == 4) {
                    byte[] m = new byte[16];
                    m[10] = m[11] = (byte) 0xff;
                    System.arraycopy(b, 0, m, 12, 4);
                    return m;
                }
                return b;
            } catch (UnknownHostException e) {
                return null;
            }
        }
        return null;
    }

    private static boolean hostBitsZero(byte[] b, int prefix) {
        for (int bit = prefix; bit < b.length * 8; bit++) {
            if ((b[bit >> 3] & (0x80 >>> (bit & 7))) != 0) return false;
        }
        return true;
    }

    /** nbdkit's order: allowed if any allow rule matches, else denied if any deny rule does, else allowed. */
    static boolean permitted(List<Rule> allow, List<Rule> deny, Peer p) {
        for (Rule r : allow) if (r.matches(p)) return true;
        for (Rule r : deny) if (r.matches(p)) return false;
        return true;
    }
}
