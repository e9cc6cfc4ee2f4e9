package dev.jnbdkit.filters.tar;

import java.nio.charset.StandardCharsets;

/**
 * One 512-byte tar header block as the three formats GNU tar writes it (v7/ustar, GNU and pax all
 * share the layout of the first 345 bytes): the member's name, the size of the data that follows,
 * the type flag. Numbers are octal ASCII or, for large values, GNU's base-256 form.
 *
 * @param name      name field, with the ustar prefix joined in front for POSIX ustar headers
 * @param size      the size field (bytes of data after the header, before a pax {@code size} override)
 * @param type      the type flag ({@code '0'} regular file, {@code 'x'} pax header, {@code 'L'} GNU long name...)
 * @param extended  for GNU's old sparse headers ({@code 'S'}): another sparse map block follows the header
 */
record TarHeader(String name, long size, char type, boolean extended) {
    static final int BLOCK = 512;

    private static final int NAME = 0, NAME_LEN = 100;
    private static final int SIZE = 124, SIZE_LEN = 12;
    private static final int CHKSUM = 148, CHKSUM_LEN = 8;
    private static final int TYPE = 156;
    private static final int MAGIC = 257;
    private static final int PREFIX = 345, PREFIX_LEN = 155;
    private static final int GNU_IS_EXTENDED = 482;

    /** Why a block is not a tar header. */
    static final class FormatException extends Exception {
        FormatException(String message) { super(message); }
    }

    /** A block of zeros: the end-of-archive marker. */
    static boolean isZero(byte[] block) {
        for (byte b : block) if (b != 0) return false;
        return true;
    }

    /** Parses one header block; a bad checksum or a bad number is a FormatException. */
    static TarHeader parse(byte[] b) throws FormatException {
        long stored;
        try {
            stored = number(b, CHKSUM, CHKSUM_LEN);
        } catch (FormatException e) {
            throw new FormatException("bad header checksum field");
        }
        // The checksum is the sum of the header's bytes with its own field as spaces; old tars
        // summed signed bytes, so both sums are accepted (as GNU tar does).
        long unsigned = 0, signed = 0;
        for (int i = 0; i < BLOCK; i++) {
            int v = i >= CHKSUM && i < CHKSUM + CHKSUM_LEN ? ' ' : b[i];
            unsigned += v & 0xff;
            signed += (byte) v;
        }
        if (stored != unsigned && stored != signed) throw new FormatException("header checksum mismatch");
        char type = (char) (b[TYPE] & 0xff);
        String name = string(b, NAME, NAME_LEN);
        if (isPosixUstar(b)) {
            String prefix = string(b, PREFIX, PREFIX_LEN);
            if (!prefix.isEmpty()) name = prefix + "/" + name;
        }
        long size = number(b, SIZE, SIZE_LEN);
        if (size < 0) throw new FormatException("negative size");
        boolean extended = type == 'S' && b[GNU_IS_EXTENDED] != 0;
        return new TarHeader(name, size, type, extended);
    }

    /** "ustar\0" + "00": POSIX (GNU writes "ustar  \0" and keeps other fields where the prefix would be). */
    private static boolean isPosixUstar(byte[] b) {
        return b[MAGIC] == 'u' && b[MAGIC + 1] == 's' && b[MAGIC + 2] == 't' && b[MAGIC + 3] == 'a'
                && b[MAGIC + 4] == 'r' && b[MAGIC + 5] == 0;
    }

    /** A NUL-terminated (or full-width) text field. */
    static String string(byte[] b, int off, int len) {
        int end = off;
        while (end < off + len && b[end] != 0) end++;
        return new String(b, off, end - off, StandardCharsets.UTF_8);
    }

    /**
     * A numeric field: octal digits, optionally led by spaces and ended by a space or NUL (an
     * empty field is 0), or base-256 when the first byte has its top bit set (GNU and star's form
     * for values beyond the octal range; 0xff leads a negative number).
     */
    static long number(byte[] b, int off, int len) throws FormatException {
        int first = b[off] & 0xff;
        if ((first & 0x80) != 0) {
            boolean negative = (first & 0x40) != 0;
            long v = negative ? -1 : 0;
            v = (v << 6) | (first & 0x3f);
            for (int i = off + 1; i < off + len; i++) {
                if (!negative && (v >>> 55) != 0) throw new FormatException("number out of range");
                v = (v << 8) | (b[i] & 0xff);
            }
            return v;
        }
        int i = off, end = off + len;
        while (i < end && b[i] == ' ') i++;
        long v = 0;
        int digits = 0;
        while (i < end && b[i] >= '0' && b[i] <= '7') {
            if ((v >>> 60) != 0) throw new FormatException("number out of range");
            v = v * 8 + (b[i] - '0');
            i++;
            digits++;
        }
        if (i < end && b[i] != ' ' && b[i] != 0) throw new FormatException("bad octal number");
        return digits == 0 ? 0 : v;
    }
}
