package dev.jnbdkit.filters.cache;

import dev.jnbdkit.spi.PluginException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** nbdkit_parse_unsigned's answers and messages (checked against nbdkit 1.32 by CacheFilterIT). */
class UnsignedTest {
    @Test
    void numbersAsStrtoulReadsThem() {
        assertEquals(95, Unsigned.parse("k", "95"));
        assertEquals(5, Unsigned.parse("k", "+5"));
        assertEquals(16, Unsigned.parse("k", "0x10"));
        assertEquals(8, Unsigned.parse("k", "010"));
        assertEquals(0, Unsigned.parse("k", "0"));
        assertEquals(4294967295L, Unsigned.parse("k", "4294967295"));
    }

    @Test
    void nbdkitsMessages() {
        assertEquals("k: empty string where we expected a number", message(""));
        assertEquals("k: empty string where we expected a number", message(" 12"));
        assertEquals("k: empty string where we expected a number", message("abc"));
        assertEquals("k: negative numbers are not allowed", message("-0"));
        assertEquals("k: could not parse number: \"12abc\": trailing garbage", message("12abc"));
        assertEquals("k: could not parse number: \"4294967296\": Numerical result out of range", message("4294967296"));
        assertEquals("k: could not parse number: \"99999999999999999999999\": Numerical result out of range",
                message("99999999999999999999999"));
    }

    private static String message(String v) {
        return assertThrows(PluginException.class, () -> Unsigned.parse("k", v)).getMessage();
    }
}
