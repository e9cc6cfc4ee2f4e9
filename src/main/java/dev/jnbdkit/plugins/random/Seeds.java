package dev.jnbdkit.plugins.random;

import dev.jnbdkit.spi.Numbers;

/** {@code seed=}: an unsigned 32-bit number, as nbdkit_parse_uint32_t reads it; default: the time. */
final class Seeds {
    private Seeds() {}

    /** nbdkit's default seed: the time in seconds, so runs differ unless a seed is given. */
    static long fromClock() { return (System.currentTimeMillis() / 1000) & 0xffffffffL; }

    static long parse(String text) {
        return Numbers.parseUnsigned("seed", text, 32);
    }
}
