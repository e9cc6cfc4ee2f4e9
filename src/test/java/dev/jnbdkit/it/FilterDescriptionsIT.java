package dev.jnbdkit.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jnbdkit.it.Server.Impl;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What the filters say about themselves, as nbdkit's say it: the {@code --help} paragraph
 * ({@code filter: NAME (LONGNAME)} and the config help; the path line names a .so there and our
 * jar here) and the thread model {@code --dump-plugin} reports for the stack.
 */
class FilterDescriptionsIT extends ItBase {
    private static final List<String> FILTERS = List.of("blocksize", "blocksize-policy", "exitlast", "exitwhen",
            "multi-conn", "readahead", "retry", "retry-request", "stats");

    @Test
    void helpAndThreadModelAsInNbdkit() {
        for (String f : FILTERS) {
            List<String> models = new ArrayList<>();
            List<String> helps = new ArrayList<>();
            for (Impl server : Impl.values()) {
                List<String> extra = f.equals("stats") ? List.of("statsfile=" + tmp.resolve("s.txt")) : List.of();
                List<String> a = new ArrayList<>(List.of("--filter=" + f, "memory", "1M"));
                a.addAll(extra);
                a.add("--dump-plugin");
                Cmd.Result d = Server.command(server, a).ok();
                models.add(d.out().lines().filter(l -> l.startsWith("thread_model=")).findFirst().orElse("(none)"));
                String out = Server.command(server, "--filter=" + f, "memory", "1M", "--help").ok().out();
                int from = out.indexOf("filter: " + f);
                int to = out.indexOf("\nplugin:", from);
                assertTrue(from >= 0 && to > from, out);
                List<String> lines = new ArrayList<>(out.substring(from, to).strip().lines().toList());
                lines.remove(1);
                helps.add(String.join("\n", lines));
            }
            assertEquals(models.get(1), models.get(0), f + " thread model");
            assertEquals(helps.get(1), helps.get(0), f + " --help");
        }
    }
}
