package dev.jnbdkit.plugins.nbd;

import dev.jnbdkit.spi.PluginException;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NbdUriTest {
    @Test
    void tcp() {
        NbdUri u = NbdUri.parse("nbd://example.com:10810/disk%201");
        assertEquals(new Target.Tcp("example.com", 10810), u.target());
        assertEquals("disk 1", u.export());
        assertFalse(u.tls());
        assertEquals(new Target.Tcp("localhost", 10809), NbdUri.parse("nbd:///").target());
        assertEquals("", NbdUri.parse("nbd://h").export());
        assertEquals(new Target.Tcp("::1", 10809), NbdUri.parse("nbd://[::1]/").target());
    }

    @Test
    void unixWithTlsQuery() {
        NbdUri u = NbdUri.parse("nbds+unix://alice@/a+b?socket=/tmp/s%20k&tls-psk-file=/k.psk");
        assertEquals(new Target.Unix(Path.of("/tmp/s k")), u.target());
        assertEquals("a+b", u.export());
        assertTrue(u.tls());
        assertEquals("alice", u.username());
        assertEquals(Path.of("/k.psk"), u.pskFile());
        assertNull(u.certificates());
    }

    @Test
    void refused() {
        assertThrows(PluginException.class, () -> NbdUri.parse("nbd+unix:///"));
        assertThrows(PluginException.class, () -> NbdUri.parse("http://x/"));
        assertThrows(PluginException.class, () -> NbdUri.parse("nbd+vsock:///2"));
        assertThrows(PluginException.class, () -> NbdUri.parse("nbd://a b/"));
    }
}
