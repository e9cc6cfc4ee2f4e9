package dev.jnbdkit.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The readahead filter: reads come back unchanged, sequential reads make the layer below see
 * prefetches (NBD_CMD_CACHE, in the -v trace), the advertised flags are nbdkit's, and a plugin
 * that cannot prefetch in parallel gets nbdkit's warning.
 */
class ReadaheadFilterIT extends ItBase {
    @Test
    void sequentialReadsArePrefetchedAndTheDataIsRight() {
        Path in = randomFile("in.img", 4 << 20, 11);
        for (String server : Differential.servers()) {
            Path disk = tmp.resolve("disk-" + Math.abs(server.hashCode()) + ".img");
            try {
                Files.copy(in, disk);
            } catch (IOException e) {
                throw new AssertionError(e);
            }
            Server s = Differential.unix(server, tmp.resolve("r" + Math.abs(server.hashCode())), "-v",
                    "--filter=readahead", "file", disk.toString());
            Path out = tmp.resolve("out-" + Math.abs(server.hashCode()) + ".img");
            Cmd.of("qemu-img", "convert", "-f", "raw", "-O", "raw", "-S", "0", s.uri(), out.toString()).ok();
            s.stop();
            assertFilesEqual(in, out);
            assertTrue(s.stderr().contains("file: cache count="), "no prefetch reached the plugin\n" + s.describe());
        }
    }

    @Test
    void flagsAsInNbdkit() {
        for (String plugin : List.of("memory", "null")) {
            List<String> got = new ArrayList<>();
            for (String server : Differential.servers()) {
                String json = Cmd.of(server, "-U", "-", "--filter=readahead", plugin, "1M", "--run",
                        "nbdinfo --json \"$uri\"").ok().out();
                got.add(json.lines().filter(l -> !l.contains("description") && !l.contains("\"uri\"")).reduce("", (x, y) -> x + y + "\n"));
            }
            assertEquals(got.get(1), got.get(0), plugin);
        }
    }

    @Test
    void warnsWhenItCannotPrefetch() throws IOException {
        Path py = tmp.resolve("serial.py");
        Files.writeString(py, """
                import nbdkit
                API_VERSION = 2
                def thread_model(): return nbdkit.THREAD_MODEL_SERIALIZE_REQUESTS
                def open(readonly): return 1
                def get_size(h): return 1048576
                def pread(h, buf, offset, flags): buf[:] = bytearray(len(buf))
                """);
        for (String server : Differential.servers()) {
            Cmd.Result r = Cmd.of(server, "-U", "-", "--filter=readahead", "python", py.toString(), "--run",
                    "nbdinfo --size \"$uri\"").ok();
            assertEquals("1048576", r.out().strip());
            assertTrue(r.err().contains("readahead: warning: underlying plugin does not support NBD_CMD_CACHE or "
                    + "PARALLEL thread model, so the filter won't do anything"), r.toString());
        }
    }
}
