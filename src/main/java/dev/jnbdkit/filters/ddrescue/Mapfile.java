package dev.jnbdkit.filters.ddrescue;

import java.util.ArrayList;
import java.util.List;

/**
 * A GNU ddrescue mapfile, as nbdkit reads it: '#' lines are comments, the first other line is the
 * status line (current position and pass) and is skipped, then each {@code pos size status} line
 * is a block (numbers in C's base-0 syntax: 0x hexadecimal, 0 octal, decimal; the status is the
 * first character of the third field). Lines that do not parse are ignored. Only blocks with
 * status '+' (finished) hold rescued data.
 */
final class Mapfile {
    record Block(long pos, long size) {
        boolean contains(long offset, long count) { return offset >= pos && offset + count <= pos + size; }
    }

    private final List<Block> rescued;

    private Mapfile(List<Block> rescued) { this.rescued = rescued; }

    static Mapfile parse(String text) {
        List<Block> good = new ArrayList<>();
        boolean statusSeen = false;
        for (String line : text.split("\n")) {
            if (line.startsWith("#")) continue;
            if (!statusSeen) {
                statusSeen = true;
                continue;
            }
            String[] f = line.strip().split("[ \t]+");
            if (f.length < 3) continue;
            Long pos = number(f[0]);
            Long size = number(f[1]);
            if (pos == null || size == null) continue;
            if (f[2].charAt(0) == '+') good.add(new Block(pos, size));
        }
        return new Mapfile(List.copyOf(good));
    }

    static Mapfile empty() { return new Mapfile(List.of()); }

    /** True if one rescued block holds all of [offset, offset+count) (blocks are not joined, as in nbdkit). */
    boolean readable(long offset, long count) {
        for (Block b : rescued) if (b.contains(offset, count)) return true;
        return false;
    }

    /** C's strtol with base 0 on the whole field, or null if it is not a number. */
    static Long number(String s) {
        int i = 0;
        boolean neg = false;
        if (s.startsWith("-") || s.startsWith("+")) {
            neg = s.charAt(0) == '-';
            i = 1;
        }
        int radix = 10;
        if ((s.startsWith("0x", i) || s.startsWith("0X", i)) && s.length() > i + 2) {
            radix = 16;
            i += 2;
        } else if (s.startsWith("0", i) && s.length() > i + 1) {
            radix = 8;
            i += 1;
        }
        if (i >= s.length()) return null;
        try {
            long v = Long.parseLong(s.substring(i), radix);
            return neg ? -v : v;
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
