package dev.jnbdkit.filters.ip;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jnbdkit.spi.PluginException;
import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

class RulesTest {
    static Peer v4(String a) throws Exception { return Peer.inet(InetAddress.getByName(a)); }

    @Test
    void keywords() throws Exception {
        Peer unix = Peer.unix(10, 1000, 100);
        assertTrue(Rules.parseOne("allow", "any").matches(unix));
        assertTrue(Rules.parseOne("allow", "anyunix").matches(unix));
        assertFalse(Rules.parseOne("allow", "allunix").matches(v4("127.0.0.1")));
        assertTrue(Rules.parseOne("allow", "anyipv4").matches(v4("10.1.2.3")));
        assertFalse(Rules.parseOne("allow", "anyipv6").matches(v4("10.1.2.3")));
        assertTrue(Rules.parseOne("allow", "allipv6").matches(v4("::1")));
    }

    @Test
    void networks() throws Exception {
        Rule net = Rules.parseOne("allow", "192.168.2.0/24");
        assertTrue(net.matches(v4("192.168.2.200")));
        assertFalse(net.matches(v4("192.168.3.1")));
        assertTrue(Rules.parseOne("allow", "127.0.0.1").matches(v4("127.0.0.1")));
        assertFalse(Rules.parseOne("allow", "127.0.0.1").matches(v4("127.0.0.2")));
        Rule v6 = Rules.parseOne("deny", "2001:db8::/32");
        assertTrue(v6.matches(v4("2001:db8:1::5")));
        assertFalse(v6.matches(v4("2001:db9::5")));
        assertTrue(Rules.parseOne("allow", "0.0.0.0/0").matches(v4("8.8.8.8")));
    }

    @Test
    void credentials() {
        Peer p = Peer.unix(42, 1000, 100);
        assertTrue(Rules.parseOne("allow", "uid:1000").matches(p));
        assertFalse(Rules.parseOne("allow", "uid:0").matches(p));
        assertTrue(Rules.parseOne("allow", "gid:100").matches(p));
        assertTrue(Rules.parseOne("allow", "pid:42").matches(p));
        assertFalse(Rules.parseOne("allow", "pid:42").matches(Peer.inet(InetAddress.getLoopbackAddress())));
    }

    @Test
    void order() throws Exception {
        List<Rule> allow = Rules.parse("allow", "127.0.0.1,::1");
        List<Rule> deny = Rules.parse("deny", "all");
        assertTrue(Rules.permitted(allow, deny, v4("127.0.0.1")));
        assertFalse(Rules.permitted(allow, deny, v4("10.0.0.1")));
        assertTrue(Rules.permitted(List.of(), Rules.parse("deny", "8.0.0.0/8"), v4("9.0.0.1")));
        assertFalse(Rules.permitted(List.of(), Rules.parse("deny", "8.0.0.0/8"), v4("8.1.0.1")));
        assertEquals(0, Rules.parse("allow", "").size());
    }

    @Test
    void messages() {
        assertEquals("don't know how to parse rule: allow=foo",
                assertThrows(PluginException.class, () -> Rules.parseOne("allow", "foo")).getMessage());
        assertEquals("cannot parse address \"10.0.0.1\" from allow=10.0.0.1/8",
                assertThrows(PluginException.class, () -> Rules.parseOne("allow", "10.0.0.1/8")).getMessage());
        assertEquals("don't know how to parse rule: allow=localhost",
                assertThrows(PluginException.class, () -> Rules.parseOne("allow", "localhost")).getMessage());
    }
}
