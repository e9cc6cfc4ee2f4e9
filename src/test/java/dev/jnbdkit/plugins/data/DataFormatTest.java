package dev.jnbdkit.plugins.data;

import dev.jnbdkit.spi.PluginException;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The data format, parsed and evaluated without the system (files, scripts and variables are fakes). */
class DataFormatTest {
    private final Map<String, byte[]> files = new HashMap<>();
    private final Map<String, String> vars = new HashMap<>();

    private final DataEvaluator.Sources fake = new DataEvaluator.Sources() {
        @Override public byte[] file(String path, long limit) {
            byte[] b = files.get(path);
            if (b == null) throw DataParser.error(path + ": No such file or directory");
            return limit < 0 ? b : Arrays.copyOf(b, (int) Math.min(limit, b.length));
        }

        @Override public byte[] script(String script, long limit) {
            // "yes X": an endless stream of X (the slice must bound it)
            byte[] unit = script.strip().substring(4).getBytes(StandardCharsets.US_ASCII);
            if (limit < 0) throw new AssertionError("an endless script was read without a bound");
            byte[] out = new byte[(int) limit];
            for (int i = 0; i < out.length; i++) out[i] = unit[i % unit.length];
            return out;
        }

        @Override public String variable(String name) { return vars.get(name); }
    };

    private byte[] eval(String text) {
        Image img = new DataEvaluator(fake).evaluate(text);
        return img.materialize();
    }

    private static byte[] bytes(int... v) {
        byte[] b = new byte[v.length];
        for (int i = 0; i < v.length; i++) b[i] = (byte) v[i];
        return b;
    }

    private String error(String text) {
        return assertThrows(PluginException.class, () -> eval(text)).getMessage();
    }

    @Test void bytesInEveryBase() {
        assertArrayEquals(bytes(0, 1, 2, 255, 8, 16, 0, 9), eval("0 1 2 0xff 010 0x10 09"));
    }

    @Test void offsetsMoveAndTheSizeIsTheFurthestReached() {
        byte[] b = eval("0 1 2 3 @0x1fe 0x55 0xaa");
        assertEquals(512, b.length);
        assertEquals(0x55, b[510] & 0xff);
        assertEquals(2, eval("1 2 @0").length);
        assertEquals(100, eval("@100").length);
        assertArrayEquals(bytes(1, 0, 0, 0, 0, 0), eval("1 @+5 @-6"));
        assertEquals(512, eval("1 @^512").length);
        assertArrayEquals(eval("0 1 2 3 @0x1fe 0x55 0xaa"), eval("0 1 2 3 @^0x200 @-2 le16:0xaa55"));
    }

    @Test void wordsAreLittleOrBigEndian() {
        assertArrayEquals(bytes(0, 0, 0, 1), eval("be32:0x1"));
        assertArrayEquals(bytes(1, 2, 3, 4, 5, 6, 7, 8, 1, 0, 0, 0, 0, 0, 0, 0, 1, 2, 0xff, 0xff, 0xff, 0xff),
                eval("be64:0x0102030405060708 le64:1 be16:0x102 le32:0xffffffff"));
        assertArrayEquals(bytes(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), eval("le64:18446744073709551615"));
    }

    @Test void stringsTakeCEscapes() {
        assertArrayEquals("a\tb\\c\"d\u0007\b\f\n\r\u000be".getBytes(StandardCharsets.US_ASCII),
                eval("\"a\\tb\\\\c\\\"d\\a\\b\\f\\n\\r\\v\\e\""));
        assertArrayEquals(bytes('A', 0, 'J'), eval("\"\\101\\0\\x4a\""));
        assertArrayEquals("é".getBytes(StandardCharsets.UTF_8), eval("\"é\""));
    }

    @Test void groupsRepeatsAndSlices() {
        assertArrayEquals(bytes(0x55, 0xaa, 0x55, 0xaa), eval("( 0x55 0xAA )*2"));
        assertArrayEquals(bytes(1, 2, 2, 2), eval("1 2 * 3"));
        assertArrayEquals(bytes(2, 1, 2), eval("( 1 2 )*3 [1:4]"));
        assertArrayEquals(bytes(1, 2), eval("1 2 3 [1:]"));
        assertArrayEquals(bytes('b', 'a', 'b'), eval("\"ab\"*2[1:]"));
        assertArrayEquals(bytes(1, 1, 1, 1, 1, 1), eval("1*2*3"));
        assertArrayEquals(bytes(0, 0, 0, 0, 1, 2), eval("( @4 1 ) ( 2 )"));
        assertArrayEquals(bytes(2), eval("( 1 @0 2 )"));
        assertEquals(0, eval("1*0").length);
        assertEquals(8192, new DataEvaluator(fake).evaluate(" ( \"Hello\" )*2000 ").resize(8192).size());
    }

    @Test void hugeRepeatsStayCompact() {
        Image img = new DataEvaluator(fake).evaluate("( 0x55 0xAA )*1000000000000 ( @1073741824 1 )*1000");
        assertEquals(2_000_000_000_000L + 1000L * 1073741825L, img.size());
        Image cut = img.slice(1, 5);
        assertArrayEquals(bytes(0xaa, 0x55, 0xaa, 0x55), cut.materialize());
    }

    @Test void namesAreScopedAndLazy() {
        assertArrayEquals(bytes(1, 2, 1, 2), eval("(1 2) -> \\a \\a \\a"));
        assertArrayEquals(bytes(1, 1), eval("1 -> \\x \\x*2"));
        assertArrayEquals(bytes(2, 1), eval("1 -> \\a ( 2 -> \\a \\a ) \\a"));
        byte[] two = eval(" ( 0x55 0xAA ) -> \\boot-signature ( @0x1fe \\boot-signature ) -> \\sector \\sector \\sector ");
        assertEquals(1024, two.length);
        assertEquals(0xaa, two[1023] & 0xff);
        assertEquals(0, eval("\\a -> \\b").length);
        assertEquals("\\a not defined", error("( 1 -> \\a ) \\a"));
    }

    @Test void variablesAreDataInANestedScope() {
        vars.put("pattern", "0x55 0xAA");
        assertArrayEquals(eval("( 0x55 0xAA )*16"), eval("$pattern*16"));
        vars.put("self", "$self");
        assertEquals("$self: variables nested more than 1000 deep", error("$self"));
        assertEquals("$nonexist: variable not found", error("$nonexist"));
    }

    @Test void filesAndEndlessScriptsAreSliced() {
        files.put("f5", "ABCDE".getBytes(StandardCharsets.US_ASCII));
        assertArrayEquals("BCABCDE".getBytes(StandardCharsets.US_ASCII), eval("<f5[1:3] <f5"));
        assertArrayEquals("ABCDEABCDE".getBytes(StandardCharsets.US_ASCII), eval("( <f5)*2"));
        assertArrayEquals("xyxyx".getBytes(StandardCharsets.US_ASCII), eval("<(yes xy)[:5]"));
        assertEquals("nope: No such file or directory", error("<nope"));
    }

    @Test void commentsRunToTheEndOfTheLine() {
        assertArrayEquals(bytes(1, 2), eval("1 # comment 3 4\n2"));
    }

    @Test void badInputGetsNbdkitsMessages() {
        assertEquals("data parameter: parsing error at offset 1", error("@@"));
        assertEquals("data parameter BYTE must be in the range 0..255", error("0x100"));
        assertEquals("data parameter: parsing error at offset 0", error("foo"));
        assertEquals("data parameter @-1 must not be larger than the current offset 0", error("@-1"));
        assertEquals("unmatched '(' in data string", error("( 1 2"));
        assertEquals("unmatched ')' in data string", error("1 2 )"));
        assertEquals("*N must follow an expression", error("*3"));
        assertEquals("*N not numeric", error("1**2"));
        assertEquals("[N:M] must follow an expression", error("[1:2]"));
        assertEquals("enclosed pattern (...)[N:M] not numeric", error("1 [a:2]"));
        assertEquals("[N:M] does not describe a valid slice", error("(1 2)[5:]"));
        assertEquals("[N:M] does not describe a valid slice", error("(1 2)[1:0]"));
        assertEquals("data parameter: unterminated string", error("\"abc"));
        assertEquals("data parameter <FILE not a filename", error("<"));
        assertEquals("data parameter @^3 must be a power of 2", error("@^3"));
        assertEquals("data parameter after @^ must not be negative", error("@^-2"));
        assertEquals("data: could not parse number: \"0x10000\": Numerical result out of range", error("le16:0x10000"));
        assertEquals("data: could not parse number: \"1*3\": trailing garbage", error("le16:1*3"));
        assertEquals("data: empty string where we expected a number", error("le16:abc"));
        assertEquals("data: negative numbers are not allowed", error("le32:-1"));
        assertEquals("data parameter: number at offset 1 is too large", error("@99999999999999999999"));
    }

    @Test void sizesBeyondTheLimitAreRefusedNotWrapped() {
        assertThrows(PluginException.class, () -> new DataEvaluator(fake).evaluate("@0x7fffffffffffffff 1"));
        assertThrows(PluginException.class, () -> new DataEvaluator(fake).evaluate("(1 2)*9223372036854775807"));
    }

    @Test void deepNestingIsRefused() {
        assertThrows(PluginException.class, () -> eval("(".repeat(5000) + ")".repeat(5000)));
    }
}
