package dev.jnbdkit.protocol;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

class OptionPayloadTest {
    /** Builds payloads: i32/i16 and length-prefixed strings. */
    private static final class P {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();

        P i32(long v) { out.writeBytes(ByteBuffer.allocate(4).putInt((int) v).array()); return this; }

        P i16(int v) { out.writeBytes(ByteBuffer.allocate(2).putShort((short) v).array()); return this; }

        P str(String s) { return bytes(s.getBytes(StandardCharsets.UTF_8)); }

        P bytes(byte[] b) { i32(b.length); out.writeBytes(b); return this; }

        P raw(byte... b) { out.writeBytes(b); return this; }

        ByteBuffer buf() { return ByteBuffer.wrap(out.toByteArray()); }
    }

    private static void invalid(Runnable r) { invalid(r, null); }

    private static void invalid(Runnable r, String what) {
        assertThrows(OptionPayload.InvalidOptionException.class, r::run, what);
    }

    @Test
    void exportRequest() {
        var r = OptionPayload.exportRequest(new P().str("disk").i16(2).i16(Nbd.INFO_NAME).i16(Nbd.INFO_BLOCK_SIZE).buf());
        assertEquals("disk", r.name());
        assertEquals(List.of(1, 3), r.infos());
        var empty = OptionPayload.exportRequest(new P().str("").i16(0).buf());
        assertEquals("", empty.name());
        assertEquals(List.of(), empty.infos());
        var big = OptionPayload.exportRequest(new P().str("").i16(1).i16(0xfffe).buf());
        assertEquals(List.of(0xfffe), big.infos(), "info types are unsigned");
    }

    @Test
    void exportRequestMalformed() {
        invalid(() -> OptionPayload.exportRequest(new P().buf()));
        invalid(() -> OptionPayload.exportRequest(new P().raw((byte) 0, (byte) 0).buf()));
        invalid(() -> OptionPayload.exportRequest(new P().i32(4).raw((byte) 'a').buf()));
        invalid(() -> OptionPayload.exportRequest(new P().str("a").buf()), "missing count");
        invalid(() -> OptionPayload.exportRequest(new P().str("a").i16(2).i16(1).buf()), "count too large");
        invalid(() -> OptionPayload.exportRequest(new P().str("a").i16(0).i16(1).buf()), "trailing bytes");
        invalid(() -> OptionPayload.exportRequest(new P().str("a").i16(0xffff).buf()));
        invalid(() -> OptionPayload.exportRequest(new P().i32(0xffffffffL).i16(0).buf()), "name length 2^32-1");
        invalid(() -> OptionPayload.exportRequest(new P().i32(0x80000000L).i16(0).buf()), "name length 2^31");
    }

    @Test
    void exportNameLimit() {
        String max = "n".repeat(Nbd.MAX_STRING);
        assertEquals(max, OptionPayload.exportRequest(new P().str(max).i16(0).buf()).name());
        invalid(() -> OptionPayload.exportRequest(new P().str(max + "n").i16(0).buf()));
        assertEquals(max, OptionPayload.wholeString(ByteBuffer.wrap(max.getBytes(StandardCharsets.US_ASCII))));
        invalid(() -> OptionPayload.wholeString(ByteBuffer.wrap((max + "n").getBytes(StandardCharsets.US_ASCII))));
        invalid(() -> OptionPayload.metaRequest(new P().str(max + "n").i32(0).buf()));
        invalid(() -> OptionPayload.metaRequest(new P().str("").i32(1).str(max + "n").buf()));
    }

    @Test
    void utf8Validation() {
        assertEquals("é", OptionPayload.wholeString(ByteBuffer.wrap(new byte[] {(byte) 0xc3, (byte) 0xa9})));
        byte[][] bad = {
            {(byte) 0xc3},                               // truncated sequence
            {(byte) 0xff},                               // never valid
            {(byte) 0xc0, (byte) 0x80},                  // overlong NUL
            {(byte) 0xed, (byte) 0xa0, (byte) 0x80},     // surrogate
            {(byte) 0xf4, (byte) 0x90, (byte) 0x80, (byte) 0x80}, // beyond U+10FFFF
        };
        for (byte[] b : bad) {
            invalid(() -> OptionPayload.wholeString(ByteBuffer.wrap(b)));
            invalid(() -> OptionPayload.exportRequest(new P().bytes(b).i16(0).buf()));
            invalid(() -> OptionPayload.metaRequest(new P().str("").i32(1).bytes(b).buf()));
        }
    }

    @Test
    void metaRequest() {
        var r = OptionPayload.metaRequest(new P().str("e").i32(2).str("base:allocation").str("qemu:dirty-bitmap:x").buf());
        assertEquals("e", r.name());
        assertEquals(List.of("base:allocation", "qemu:dirty-bitmap:x"), r.queries());
        assertEquals(List.of(), OptionPayload.metaRequest(new P().str("").i32(0).buf()).queries());
    }

    @Test
    void hugeQueryCountFailsFastWithoutAllocating() {
        // 8-byte payload: empty name, then a count of 2^32-1.
        assertTimeoutPreemptively(java.time.Duration.ofSeconds(10), () -> {
            invalid(() -> OptionPayload.metaRequest(new P().i32(0).i32(0xffffffffL).buf()));
            invalid(() -> OptionPayload.metaRequest(new P().i32(0).i32(0x7fffffffL).buf()));
            invalid(() -> OptionPayload.metaRequest(new P().i32(0).i32(0x40000000L).buf()));
            invalid(() -> OptionPayload.metaRequest(new P().i32(0).i32(2).i32(0).buf()), "second query missing");
        });
    }

    @Test
    void metaRequestMalformed() {
        invalid(() -> OptionPayload.metaRequest(new P().buf()));
        invalid(() -> OptionPayload.metaRequest(new P().str("").buf()), "missing count");
        invalid(() -> OptionPayload.metaRequest(new P().str("").i32(1).i32(100).raw((byte) 'a').buf()), "query overruns");
        invalid(() -> OptionPayload.metaRequest(new P().str("").i32(0).raw((byte) 0).buf()), "trailing");
        invalid(() -> OptionPayload.metaRequest(new P().str("").i32(1).str("a").raw((byte) 0).buf()), "trailing");
    }

    /** Truncating any valid payload anywhere gives InvalidOptionException, never anything else. */
    @Property(tries = 300)
    void truncationIsAlwaysInvalid(@ForAll @Size(max = 4) List<@net.jqwik.api.constraints.StringLength(max = 20) String> queries,
                                   @ForAll @IntRange(min = 0, max = 200) int cut) {
        P p = new P().str("name").i32(queries.size());
        for (String q : queries) p.str(q);
        byte[] full = p.out.toByteArray();
        assertEquals(queries, OptionPayload.metaRequest(ByteBuffer.wrap(full)).queries());
        if (cut >= full.length) return;
        byte[] shorter = java.util.Arrays.copyOf(full, cut);
        invalid(() -> OptionPayload.metaRequest(ByteBuffer.wrap(shorter)));
    }

    /** Arbitrary bytes: parsing either succeeds or throws InvalidOptionException. */
    @Property(tries = 1000)
    void randomBytesNeverEscape(@ForAll @Size(max = 64) byte[] junk) {
        for (var parse : List.<java.util.function.Consumer<ByteBuffer>>of(OptionPayload::exportRequest,
                OptionPayload::metaRequest, OptionPayload::wholeString)) {
            try {
                parse.accept(ByteBuffer.wrap(junk));
            } catch (OptionPayload.InvalidOptionException expected) {
                // fine
            }
        }
    }
}
