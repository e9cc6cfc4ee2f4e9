package dev.jnbdkit.filters.tar;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The records of a pax extended header ({@code 'x'} for the next member, {@code 'g'} for all that
 * follow): {@code "LENGTH KEY=VALUE\n"}, LENGTH counting the whole record in bytes, values UTF-8.
 */
final class PaxRecords {
    private PaxRecords() {}

    static Map<String, String> parse(byte[] data, int length) throws TarHeader.FormatException {
        Map<String, String> out = new LinkedHashMap<>();
        int at = 0;
        while (at < length) {
            if (data[at] == 0) break; // padding after the last record
            int i = at;
            long len = 0;
            while (i < length && data[i] >= '0' && data[i] <= '9') {
                len = len * 10 + (data[i] - '0');
                if (len > length) throw new TarHeader.FormatException("bad pax record length");
                i++;
            }
            if (i == at || i >= length || data[i] != ' ' || at + len > length || len < i - at + 3) {
                throw new TarHeader.FormatException("bad pax record at byte " + at);
            }
            int end = (int) (at + len); // the record's '\n' is at end - 1
            if (data[end - 1] != '\n') throw new TarHeader.FormatException("pax record at byte " + at + " does not end in a newline");
            int eq = i + 1;
            while (eq < end - 1 && data[eq] != '=') eq++;
            if (eq == end - 1) throw new TarHeader.FormatException("pax record at byte " + at + " has no '='");
            String key = new String(data, i + 1, eq - i - 1, StandardCharsets.UTF_8);
            String value = new String(data, eq + 1, end - 1 - eq - 1, StandardCharsets.UTF_8);
            out.put(key, value);
            at = end;
        }
        return out;
    }
}
