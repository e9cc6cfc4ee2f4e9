package dev.jnbdkit.plugins.curl;

import dev.jnbdkit.spi.PluginException;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** CURLOPT_HTTPHEADER's three forms, and proxy addresses as libcurl reads them. */
class HeaderLineTest {
    @Test
    void addRemoveAndEmpty() {
        assertEquals(new HeaderLine("X-My-Name", "John Doe", false), HeaderLine.parse("X-My-Name: John Doe"));
        assertEquals(new HeaderLine("User-Agent", "", true), HeaderLine.parse("User-Agent:"));
        assertEquals(new HeaderLine("X-Empty", "", false), HeaderLine.parse("X-Empty;"));
        // a value may hold colons and semicolons
        assertEquals(new HeaderLine("Cookie", "a=1; b=2", false), HeaderLine.parse("Cookie: a=1; b=2"));
        assertThrows(PluginException.class, () -> HeaderLine.parse("no separator"));
        assertThrows(PluginException.class, () -> HeaderLine.parse(": value"));
        assertThrows(PluginException.class, () -> HeaderLine.parse("Bad Name: x"));
    }

    @Test
    void proxyAddresses() {
        assertEquals(InetSocketAddress.createUnresolved("proxy", 1080), ProxyChoice.address("proxy", "proxy"));
        assertEquals(InetSocketAddress.createUnresolved("proxy", 3128), ProxyChoice.address("proxy", "http://u:p@proxy:3128/"));
        assertEquals(InetSocketAddress.createUnresolved("::1", 8080), ProxyChoice.address("proxy", "[::1]:8080"));
        assertThrows(PluginException.class, () -> ProxyChoice.address("proxy", "socks5://proxy:1080"));
    }
}
