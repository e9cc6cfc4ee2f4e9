package dev.jnbdkit.it;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The stack of layers through real clients: the thread model's lock covers a whole request
 * (emulations included), pass-through filters change nothing a client sees, and {@code -v}
 * traces every layer's calls. Runs against nbdkit too ({@code -Djnbdkit.server=/usr/bin/nbdkit}).
 */
class LayersIT extends ItBase {

    /**
     * Under SERIALIZE_ALL_REQUESTS one connection zeroes 32 MiB (emulated: pwrites of zeros)
     * and writes with FUA (emulated: pwrite then flush) while another connection writes: no call
     * of the other connection may land between the calls of one request.
     */
    @Test
    void serializeAllRequestsCoversEmulatedZeroAndFua() throws IOException {
        Path trace = tmp.resolve("trace");
        Path script = tmp.resolve("serialize_trace.py");
        Files.writeString(script, resource("serialize_trace.py"));
        Server s = unix("python", script.toString(), "trace=" + trace);
        String client = """
                import sys, threading, nbd
                uri = sys.argv[1]
                def zeroing():
                    h = nbd.NBD(); h.connect_uri(uri)
                    h.pwrite(b"z", 0)                 # this connection's first call: it is connection A
                    h.zero(32 * 1024 * 1024, 0)
                    for i in range(20):
                        h.pwrite(b"f" * 4096, 33 * 1024 * 1024 + i * 4096, nbd.CMD_FLAG_FUA)
                    h.shutdown()
                def writing(started):
                    h = nbd.NBD(); h.connect_uri(uri)
                    started.set()
                    for i in range(300):
                        h.pwrite(b"w" * 512, 40 * 1024 * 1024 + i * 512)
                    h.shutdown()
                started = threading.Event()
                w = threading.Thread(target=writing, args=(started,))
                w.start(); started.wait()
                z = threading.Thread(target=zeroing)
                z.start(); z.join(); w.join()
                print("ok")
                """;
        python(client, s.uri()).ok();
        List<String[]> calls = new ArrayList<>();
        for (String line : Files.readAllLines(trace)) calls.add(line.split(" "));
        // Connection A is the one whose first call is the 1-byte write.
        String a = calls.stream().filter(c -> c[0].equals("pwrite") && c[2].equals("1")).findFirst().orElseThrow()[1];
        long otherCalls = calls.stream().filter(c -> !c[1].equals(a)).count();
        assertTrue(otherCalls >= 300, "the other connection wrote: " + otherCalls);

        // The zero's pwrites: A's writes that are neither the 1-byte marker nor the 4 KiB FUA
        // writes. Their sizes are the server's choice (1 MiB here; nbdkit writes bigger pieces).
        int firstZero = -1, lastZero = -1;
        long zeroed = 0;
        for (int i = 0; i < calls.size(); i++) {
            String[] c = calls.get(i);
            if (c[1].equals(a) && c[0].equals("pwrite") && !c[2].equals("1") && !c[2].equals("4096")) {
                if (firstZero < 0) firstZero = i;
                lastZero = i;
                zeroed += Long.parseLong(c[2]);
            }
        }
        assertEquals(32 << 20, zeroed, "zero emulated by pwrites covering the range");
        for (int i = firstZero; i <= lastZero; i++) {
            assertEquals(a, calls.get(i)[1], "call " + i + " of another connection inside the emulated zero");
        }
        int fua = 0;
        for (int i = 0; i < calls.size(); i++) {
            String[] c = calls.get(i);
            if (c[1].equals(a) && c[0].equals("pwrite") && c[2].equals("4096")) {
                fua++;
                String[] after = calls.get(i + 1);
                assertEquals("flush " + a, after[0] + " " + after[1], "the FUA write's flush follows it at once (call " + i + ")");
            }
        }
        assertEquals(20, fua);
        s.stop();
    }

    /** Two pass-through filters: the same flags, size, data and extents as the plugin alone. */
    @Test
    void passThroughFiltersChangeNothingAClientSees() {
        Path f = randomFile("disk", 4 << 20, 42);
        Server plain = Server.unix(sock("a"), "file", f.toString());
        Server filtered = Server.unix(sock("b"), "--filter=nofilter", "--filter", "nofilter", "file", f.toString());
        String x = Cmd.of("nbdinfo", "--json", plain.uri()).ok().out();
        String y = Cmd.of("nbdinfo", "--json", filtered.uri()).ok().out();
        assertEquals(x.replace(plain.uri(), "URI"), y.replace(filtered.uri(), "URI"));
        assertEquals(Cmd.of("nbdinfo", "--map", plain.uri()).ok().out(), Cmd.of("nbdinfo", "--map", filtered.uri()).ok().out());
        Path out = tmp.resolve("copy");
        Cmd.of("nbdcopy", filtered.uri(), out.toString()).ok();
        assertFilesEqual(f, out);
        Cmd.of("qemu-io", "-f", "raw", "-c", "write -P 0x5a 1M 64k", "-c", "read -P 0x5a 1M 64k", filtered.uri()).ok();
        plain.stop();
        filtered.stop();
    }

    /** {@code -v}: each layer's calls, named by the layer, as nbdkit prints them. */
    @Test
    void verboseTracesEveryLayer() {
        Server s = unix("-v", "--filter=nofilter", "memory", "1M");
        python("""
                import sys, nbd
                h = nbd.NBD(); h.connect_uri(sys.argv[1])
                h.pwrite(b"x" * 512, 0, nbd.CMD_FLAG_FUA)
                h.pread(512, 0)
                h.zero(4096, 4096)
                h.flush()
                h.shutdown()
                """, s.uri()).ok();
        s.stop();
        String log = s.stderr();
        for (String layer : List.of("nofilter", "memory")) {
            for (String call : List.of("open readonly=0 exportname=\"\" tls=0", "prepare readonly=0", "get_size",
                    "can_write", "pwrite count=512 offset=0 fua=1", "pread count=512 offset=0",
                    "zero count=4096 offset=4096 may_trim=1 fua=0 fast=0", "flush", "finalize")) {
                assertTrue(log.contains("debug: " + layer + ": " + call), layer + ": " + call + " missing from\n" + log);
            }
        }
        assertTrue(log.indexOf("memory: prepare") < log.indexOf("nofilter: prepare"), "prepare runs from the plugin outwards");
        assertTrue(log.indexOf("nofilter: finalize") < log.indexOf("memory: finalize"), "finalize runs from the top");
    }
}
