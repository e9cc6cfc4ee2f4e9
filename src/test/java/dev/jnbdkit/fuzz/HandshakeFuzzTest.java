package dev.jnbdkit.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Coverage-guided fuzzing of a whole connection from its first byte: the client flags, options in
 * any order and shape, and — when the input happens to reach GO or EXPORT_NAME — transmission.
 * Seeds: real handshake transcripts (src/test/resources/dev/jnbdkit/fuzz/HandshakeFuzzTestInputs,
 * which FuzzSeedReplayTest replays too). Without JAZZER_FUZZ this replays the seeds and the corpus
 * Jazzer kept; see docs/security.md for fuzzing runs.
 */
class HandshakeFuzzTest {
    private static final FuzzHarness SERVER = new FuzzHarness(false, 1, true);

    @FuzzTest(maxDuration = "30s")
    void handshake(byte[] clientBytes) {
        SERVER.run(clientBytes);
    }
}
