package dev.jnbdkit.it;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jnbdkit.it.Server.Impl;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code --filter=NAME null --help}: the filter's paragraph as nbdkit prints it. */
class FilterHelpIT extends FilterItBase {
    static final List<String> FILTERS = List.of("delay", "error", "exportname", "fua", "ip", "limit", "log", "nocache",
            "noextents", "noparallel", "nozero", "offset", "partition", "rate", "tls-fallback", "truncate");

    /** The lines from {@code filter: NAME} up to the plugin's paragraph, without the path line. */
    static List<String> section(Impl impl, String filter) {
        String out = Server.command(impl, args("--filter=" + filter, "null", "--help")).ok().out();
        List<String> l = new ArrayList<>();
        boolean in = false;
        for (String line : out.split("\n")) {
            if (line.startsWith("filter: ")) in = true;
            else if (line.startsWith("plugin: ")) break;
            if (in && !line.startsWith("(")) l.add(line);
        }
        return l;
    }

    /** Every line nbdkit prints is there (in order); jnbdkit adds lines only for parameters of the 1.34 page. */
    @Test
    void everyFiltersHelp() {
        for (String f : FILTERS) {
            List<String> ours = section(Impl.JNBDKIT, f), theirs = section(Impl.NBDKIT, f);
            assertTrue(!ours.isEmpty() && ours.getFirst().equals(theirs.getFirst()), f + "\n" + ours + "\n" + theirs);
            int at = 0;
            for (String line : theirs) {
                // nbdkit 1.32 lists fua's modes without discard, which the page has
                String want = f.equals("fua") ? line.replace("'force', 'pass'.", "'force', 'pass', 'discard'.") : line;
                int i = ours.subList(at, ours.size()).indexOf(want);
                assertTrue(i >= 0, f + ": missing or out of order: \"" + want + "\"\n" + String.join("\n", ours));
                at += i + 1;
            }
        }
    }
}
