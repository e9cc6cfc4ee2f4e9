package dev.jnbdkit.filters.error;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.jnbdkit.spi.PluginException;
import org.junit.jupiter.api.Test;

class ErrorRateTest {
    @Test
    void rates() {
        assertEquals(0.5, ErrorFilter.parseRate("error-rate", "50%"));
        assertEquals(0.25, ErrorFilter.parseRate("error-rate", "0.25"));
        assertEquals(1.0, ErrorFilter.parseRate("error-rate", "1"));
        assertEquals("error-rate: rate out of range: '101%' parsed as 1.01",
                assertThrows(PluginException.class, () -> ErrorFilter.parseRate("error-rate", "101%")).getMessage());
        assertEquals("error-rate: could not parse rate 'x%'",
                assertThrows(PluginException.class, () -> ErrorFilter.parseRate("error-rate", "x%")).getMessage());
    }
}
