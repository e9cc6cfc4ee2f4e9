package dev.jnbdkit.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.jnbdkit.protocol.Nbd;

import java.util.Arrays;

import static dev.jnbdkit.fuzz.FuzzHarness.CFLAGS;
import static dev.jnbdkit.fuzz.FuzzHarness.cflags;
import static dev.jnbdkit.fuzz.FuzzHarness.concat;
import static dev.jnbdkit.fuzz.FuzzHarness.option;

/**
 * Coverage-guided fuzzing of transmission: a valid negotiation chosen by the first input byte
 * (simple, structured or extended replies; base:allocation or not; read-only or not; requests
 * served inline or on worker threads), then the rest of the input as the request stream.
 */
class TransmissionFuzzTest {
    /** [readonly][parallel] */
    private static final FuzzHarness[][] SERVERS = {
        {new FuzzHarness(false, 1, true), new FuzzHarness(false, 4, true)},
        {new FuzzHarness(true, 1, true), new FuzzHarness(true, 4, false)},
    };

    static byte[] negotiation(int mode) {
        boolean structured = (mode & 1) != 0;
        boolean extended = (mode & 2) != 0;
        boolean meta = (mode & 4) != 0 && (structured || extended);
        byte[] none = new byte[0];
        return concat(cflags(CFLAGS),
                structured ? option(Nbd.OPT_STRUCTURED_REPLY, none) : none,
                extended ? option(Nbd.OPT_EXTENDED_HEADERS, none) : none,
                meta ? option(Nbd.OPT_SET_META_CONTEXT, FuzzHarness.setMetaBaseAllocation()) : none,
                option(Nbd.OPT_GO, FuzzHarness.exportRequest("")));
    }

    @FuzzTest(maxDuration = "30s")
    void transmission(byte[] data) {
        if (data.length == 0) return;
        int mode = data[0];
        FuzzHarness h = SERVERS[(mode >> 3) & 1][(mode >> 4) & 1];
        h.run(concat(negotiation(mode), Arrays.copyOfRange(data, 1, data.length)));
    }
}
