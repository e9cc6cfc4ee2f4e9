package dev.jnbdkit.filters.luks;

import java.util.HexFormat;

/** Hex strings in the tests (whitespace ignored). */
final class Hex {
    private Hex() {}

    static byte[] bytes(String hex) { return HexFormat.of().parseHex(hex.replaceAll("\\s+", "")); }

    static String of(byte[] b) { return HexFormat.of().formatHex(b); }
}
