package dev.jnbdkit.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.jnbdkit.protocol.Nbd;
import dev.jnbdkit.protocol.OptionPayload;
import dev.jnbdkit.protocol.ProtocolException;
import dev.jnbdkit.protocol.Request;
import dev.jnbdkit.protocol.RequestDecoder;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The pure decoders: request headers and option payloads. The only exceptions allowed are the
 * protocol's own ({@link ProtocolException}, {@link OptionPayload.InvalidOptionException});
 * whatever decodes must respect the limits (strings ≤ 4096 bytes) and re-encode to the same bytes.
 */
class DecoderFuzzTest {
    @FuzzTest(maxDuration = "20s")
    void requestHeader(byte[] data) {
        if (data.length < 1) return;
        boolean extended = (data[0] & 1) != 0;
        int size = RequestDecoder.headerSize(extended);
        if (data.length - 1 < size) return;
        ByteBuffer b = ByteBuffer.wrap(data, 1, size);
        Request r;
        try {
            r = RequestDecoder.decode(b, extended);
        } catch (ProtocolException expected) {
            return;
        }
        if (b.hasRemaining()) throw new AssertionError("header not consumed");
        ByteBuffer again = ByteBuffer.allocate(size);
        RequestDecoder.encode(again, r, extended);
        if (!Arrays.equals(again.array(), Arrays.copyOfRange(data, 1, 1 + size))) {
            throw new AssertionError("decode/encode is not the identity for " + r);
        }
    }

    @FuzzTest(maxDuration = "20s")
    void optionPayload(byte[] data) {
        if (data.length < 1) return;
        ByteBuffer p = ByteBuffer.wrap(data, 1, data.length - 1).slice();
        try {
            switch (data[0] & 3) {
                case 0 -> {
                    OptionPayload.ExportRequest r = OptionPayload.exportRequest(p);
                    checkString(r.name());
                    if (r.infos().size() > 0xffff) throw new AssertionError("too many infos");
                }
                case 1 -> {
                    OptionPayload.MetaRequest r = OptionPayload.metaRequest(p);
                    checkString(r.name());
                    r.queries().forEach(DecoderFuzzTest::checkString);
                    if (r.queries().size() * 4L > data.length) throw new AssertionError("more queries than bytes");
                }
                default -> checkString(OptionPayload.wholeString(p));
            }
        } catch (OptionPayload.InvalidOptionException expected) {
            // refused with NBD_REP_ERR_INVALID
        }
    }

    private static void checkString(String s) {
        if (s.getBytes(StandardCharsets.UTF_8).length > Nbd.MAX_STRING) throw new AssertionError("string over 4096 bytes");
    }
}
