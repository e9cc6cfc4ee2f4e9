package dev.jnbdkit.plugins.partitioning;

/**
 * GPT GUIDs: the text form {@code 0FC63DAF-8483-4772-8E79-3D69D8477DE4} (optionally in braces)
 * to the 16 bytes written on disk, whose first three groups are little-endian and last two
 * big-endian (the UEFI mixed-endian layout).
 */
final class Guid {
    static final String DEFAULT_TYPE = "0FC63DAF-8483-4772-8E79-3D69D8477DE4";

    private Guid() {}

    /** The on-disk bytes, or null if {@code text} is not a GUID. */
    static byte[] parse(String text) {
        String s = text;
        if (s.length() == 38 && s.charAt(0) == '{' && s.charAt(37) == '}') s = s.substring(1, 37);
        if (s.length() != 36) return null;
        for (int i = 0; i < 36; i++) {
            char c = s.charAt(i);
            boolean dash = i == 8 || i == 13 || i == 18 || i == 23;
            if (dash ? c != '-' : Character.digit(c, 16) < 0 || c > 127) return null;
        }
        // Text positions of each on-disk byte.
        int[] at = {6, 4, 2, 0, 11, 9, 16, 14, 19, 21, 24, 26, 28, 30, 32, 34};
        byte[] out = new byte[16];
        for (int i = 0; i < 16; i++) out[i] = (byte) Integer.parseInt(s.substring(at[i], at[i] + 2), 16);
        return out;
    }
}
