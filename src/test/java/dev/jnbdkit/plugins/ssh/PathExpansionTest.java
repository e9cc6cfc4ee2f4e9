package dev.jnbdkit.plugins.ssh;

import dev.jnbdkit.spi.PluginException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class PathExpansionTest {
    private final PathExpansion x = new PathExpansion("/home/me/.ssh", "me", "box", "server.example", "bob", 2222);

    @Test
    void expandsLibsshSequences() {
        assertEquals("/home/me/.ssh/known_hosts", x.expand("%d/known_hosts"));
        assertEquals("/keys/me@box/bob@server.example:2222/100%", x.expand("/keys/%u@%l/%r@%h:%p/100%%"));
        assertEquals("/plain/path", x.expand("/plain/path"));
        assertEquals(PathExpansion.home() + "/.ssh/id", x.expand("~/.ssh/id"));
    }

    @Test
    void refusesUnknownSequences() {
        assertThrows(PluginException.class, () -> x.expand("/a/%x"));
        assertThrows(PluginException.class, () -> x.expand("/a/%"));
    }
}
