package dev.jnbdkit.spi;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The SPI alone (no server on the class path): literal passwords work, the other forms say why not. */
class StandaloneHostTest {
    @Test
    void withoutAServerTheSpiUsesItsStandaloneHost() {
        assertInstanceOf(StandaloneHost.class, Nbdkit.host());
        assertArrayEquals("secret".getBytes(StandardCharsets.UTF_8), Passwords.read("secret"));
        PluginException e = assertThrows(PluginException.class, () -> Passwords.read("+/etc/hostname"));
        assertEquals(Errno.ENOTSUP, e.errno());
        assertEquals("reading a password from a terminal, a descriptor or a file needs the jnbdkit server", e.getMessage());
        // The forms are still told apart (and refused) before the host is asked.
        assertEquals("cannot use password -FD for stdin/stdout/stderr",
                assertThrows(PluginException.class, () -> Passwords.read("-1")).getMessage());
    }
}
