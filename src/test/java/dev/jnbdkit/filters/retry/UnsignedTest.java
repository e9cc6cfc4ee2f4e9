package dev.jnbdkit.filters.retry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.jnbdkit.spi.PluginException;
import org.junit.jupiter.api.Test;

/** nbdkit_parse_unsigned's accepted forms and its messages, as measured against nbdkit 1.32. */
class UnsignedTest {
    @Test
    void acceptsWhatStrtoulAccepts() {
        assertEquals(5, Unsigned.parse("retries", "5"));
        assertEquals(5, Unsigned.parse("retries", " 5"));
        assertEquals(5, Unsigned.parse("retries", "+5"));
        assertEquals(16, Unsigned.parse("retries", "0x10"));
        assertEquals(8, Unsigned.parse("retries", "010"));
        assertEquals(0, Unsigned.parse("retries", "0"));
        assertEquals(4294967295L, Unsigned.parse("retries", "4294967295"));
    }

    private static String error(String value) {
        return assertThrows(PluginException.class, () -> Unsigned.parse("retries", value)).getMessage();
    }

    @Test
    void refusesWithNbdkitsMessages() {
        assertEquals("retries: empty string where we expected a number", error(""));
        assertEquals("retries: empty string where we expected a number", error("abc"));
        assertEquals("retries: negative numbers are not allowed", error("-1"));
        assertEquals("retries: negative numbers are not allowed", error(" -1"));
        assertEquals("retries: could not parse number: \"12abc\": trailing garbage", error("12abc"));
        assertEquals("retries: could not parse number: \"1e3\": trailing garbage", error("1e3"));
        assertEquals("retries: could not parse number: \"4294967296\": Numerical result out of range", error("4294967296"));
        assertEquals("retries: could not parse number: \"99999999999999999999999\": Numerical result out of range",
                error("99999999999999999999999"));
    }
}
