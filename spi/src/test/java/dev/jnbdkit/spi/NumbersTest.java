package dev.jnbdkit.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** nbdkit_parse_* forms and messages, each case measured against nbdkit 1.32 (retries=, swab-bits=). */
class NumbersTest {
    private static String error(Executable call) {
        return assertThrows(PluginException.class, call).getMessage();
    }

    private static String unsignedError(String text) {
        return error(() -> Numbers.parseUnsigned("retries", text));
    }

    @Test
    void unsignedAcceptsWhatStrtoulAccepts() {
        assertEquals(5, Numbers.parseUnsigned("retries", "5"));
        assertEquals(5, Numbers.parseUnsigned("retries", " 5"));
        assertEquals(5, Numbers.parseUnsigned("retries", "+5"));
        assertEquals(16, Numbers.parseUnsigned("retries", "0x10"));
        assertEquals(8, Numbers.parseUnsigned("retries", "010"));
        assertEquals(0, Numbers.parseUnsigned("retries", "0"));
        assertEquals(0, Numbers.parseUnsigned("retries", "00"));
        assertEquals(0, Numbers.parseUnsigned("retries", "0x0"));
        assertEquals(4294967295L, Numbers.parseUnsigned("retries", "4294967295"));
    }

    @Test
    void unsignedRefusesWithNbdkitsMessagesInNbdkitsOrder() {
        assertEquals("retries: empty string where we expected a number", unsignedError(""));
        assertEquals("retries: empty string where we expected a number", unsignedError(" "));
        assertEquals("retries: empty string where we expected a number", unsignedError("+"));
        assertEquals("retries: empty string where we expected a number", unsignedError("abc"));
        assertEquals("retries: negative numbers are not allowed", unsignedError("-1"));
        assertEquals("retries: negative numbers are not allowed", unsignedError(" -1"));
        assertEquals("retries: negative numbers are not allowed", unsignedError("-0"));
        assertEquals("retries: negative numbers are not allowed", unsignedError("-"));
        assertEquals("retries: could not parse number: \"0x\": trailing garbage", unsignedError("0x"));
        assertEquals("retries: could not parse number: \"08\": trailing garbage", unsignedError("08"));
        assertEquals("retries: could not parse number: \"5 \": trailing garbage", unsignedError("5 "));
        assertEquals("retries: could not parse number: \"0x1g\": trailing garbage", unsignedError("0x1g"));
        assertEquals("retries: could not parse number: \"4294967296\": Numerical result out of range",
                unsignedError("4294967296"));
        // the range is checked before what follows the digits
        assertEquals("retries: could not parse number: \"4294967296x\": Numerical result out of range",
                unsignedError("4294967296x"));
        assertEquals("retries: could not parse number: \"99999999999999999999\": Numerical result out of range",
                unsignedError("99999999999999999999"));
    }

    @Test
    void intTakesASignAndA32BitRange() {
        assertEquals(-5, Numbers.parseInt("swab-bits", "-5"));
        assertEquals(-5, Numbers.parseInt("swab-bits", " -5"));
        assertEquals(16, Numbers.parseInt("swab-bits", "+0x10"));
        assertEquals(-16, Numbers.parseInt("swab-bits", "-0x10"));
        assertEquals(Integer.MIN_VALUE, Numbers.parseInt("swab-bits", "-2147483648"));
        assertEquals("swab-bits: could not parse number: \"2147483648\": Numerical result out of range",
                error(() -> Numbers.parseInt("swab-bits", "2147483648")));
        assertEquals("swab-bits: could not parse number: \"-2147483649\": Numerical result out of range",
                error(() -> Numbers.parseInt("swab-bits", "-2147483649")));
        assertEquals("swab-bits: could not parse number: \"2147483648x\": Numerical result out of range",
                error(() -> Numbers.parseInt("swab-bits", "2147483648x")));
        assertEquals("swab-bits: empty string where we expected a number",
                error(() -> Numbers.parseInt("swab-bits", "-")));
    }

    @Test
    void sixtyFourBitForms() {
        assertEquals(Long.MIN_VALUE, Numbers.parseInt64("x", "-9223372036854775808"));
        assertEquals("x: could not parse number: \"9223372036854775808\": Numerical result out of range",
                error(() -> Numbers.parseInt64("x", "9223372036854775808")));
        assertEquals(-1L, Numbers.parseUint64("x", "18446744073709551615"));
        assertEquals(-1L, Numbers.parseUint64("x", "0xffffffffffffffff"));
        assertEquals("x: could not parse number: \"18446744073709551616\": Numerical result out of range",
                error(() -> Numbers.parseUint64("x", "18446744073709551616")));
        assertEquals("x: negative numbers are not allowed", error(() -> Numbers.parseUint64("x", "-1")));
    }

    @Test
    void onlyAsciiDigitsCount() {
        // Character.digit would read these Arabic-Indic digits as 12
        assertEquals("x: empty string where we expected a number", error(() -> Numbers.parseUnsigned("x", "\u0661\u0662")));
    }
}
