package dev.jnbdkit.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jnbdkit.it.Server.Impl;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The scan filter, differential against Debian's nbdkit: a log filter below it records the
 * prefetches (NBD_CMD_CACHE) it sends while a client is connected (scan-client.py waits for them),
 * and both servers must send the same ones: the whole disk in scan-size steps, skipping past the
 * client's reads (scan-ahead), resuming where the last connection stopped (scan-clock), starting
 * over (scan-forever). A delay filter below the log makes each prefetch slow where the order of
 * events matters, so that a client read lands while the first prefetch is in flight.
 */
class ScanFilterIT extends FilterItBase {
    private static final int K = 1024, M = K * K;

    private Path script() {
        Path p = tmp.resolve("scan-client.py");
        try {
            if (!Files.exists(p)) Files.writeString(p, ItBase.resource("scan-client.py"));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        return p;
    }

    /**
     * {@code --filter=scan PARAMS --filter=log [--filter=delay delay-cache=DELAY] file DISK} under
     * both servers, scan-client.py with {@code steps}: the prefetches each saw, which must be the same.
     */
    private String prefetches(long diskSize, String delay, List<String> params, String... steps) {
        Clients.requirePythonNbd();
        Path disk = randomFile("disk.img", diskSize, 5);
        String ours = null;
        for (Impl impl : Impl.values()) {
            Path log = tmp.resolve("log-" + impl);
            List<String> a = new ArrayList<>(List.of("--filter=scan", "--filter=log"));
            if (delay != null) a.add("--filter=delay");
            a.addAll(List.of("file", disk.toString(), "logfile=" + log));
            if (delay != null) a.add("delay-cache=" + delay);
            a.addAll(params);
            String run = Clients.PYTHON + " " + script() + " \"$uri\" " + log + " " + String.join(" ", steps);
            String seen = Differential.captive(impl.command(), Map.of(), a, run).out();
            if (ours == null) ours = seen;
            else assertEquals(seen, ours, "the prefetches under nbdkit and jnbdkit, " + String.join(" ", a));
        }
        return ours;
    }

    private static String lines(long... offsetCount) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < offsetCount.length; i += 2) {
            sb.append("0x").append(Long.toHexString(offsetCount[i])).append(" 0x")
                    .append(Long.toHexString(offsetCount[i + 1])).append('\n');
        }
        return sb.toString();
    }

    @Test
    void scansTheWholeDiskOnce() {
        // 4.5 MiB in 1 MiB steps: the last prefetch is the half step left.
        String seen = prefetches(4 * M + M / 2, null, List.of("scan-size=1M"), "connect", "wait:5", "settle:1");
        assertEquals(lines(0, M, M, M, 2 * M, M, 3 * M, M, 4 * M, M / 2), seen);
        // The default step is 2 MiB.
        assertEquals(lines(0, 2 * M, 2 * M, 2 * M), prefetches(4 * M, null, List.of(), "connect", "wait:2", "settle:1"));
    }

    /** A read past the scan moves it on to the read's end, unless scan-ahead=false. */
    @Test
    void scanAheadSkipsPastTheClientsReads() {
        // wait:1 first: the scan's first prefetch (at 0) is under way before the read, whatever the
        // load (a loaded machine once let the read reach nbdkit before its scan thread started).
        String ahead = prefetches(4 * M, "1", List.of("scan-size=512K"), "connect", "wait:1",
                "read:" + (5 * M / 2) + ":" + (M / 2), "wait:3", "settle:1.5");
        assertEquals(lines(0, M / 2, 3 * M, M / 2, 7 * M / 2, M / 2), ahead);
        String steady = prefetches(2 * M, "300ms", List.of("scan-size=512K", "scan-ahead=false"), "connect",
                "read:" + (3 * M / 2) + ":" + (M / 2), "wait:4", "settle:1");
        assertEquals(lines(0, M / 2, M / 2, M / 2, M, M / 2, 3 * M / 2, M / 2), steady);
    }

    /**
     * The first connection reads ahead to 3 MiB and leaves while the scan prefetches there; the
     * second starts where the first got to, or from 0 with scan-clock=false.
     */
    @Test
    void scanClockResumesForTheNextConnection() {
        String[] steps = {"connect", "wait:1", "read:" + (5 * M / 2) + ":" + (M / 2), "wait:2", "close", "connect", "wait:3",
            "first:3"};
        assertEquals(lines(0, M / 2, 3 * M, M / 2, 3 * M, M / 2), prefetches(4 * M, "1", List.of("scan-size=512K"), steps));
        assertEquals(lines(0, M / 2, 3 * M, M / 2, 0, M / 2),
                prefetches(4 * M, "1", List.of("scan-size=512K", "scan-clock=false"), steps));
    }

    @Test
    void scanForeverStartsOver() {
        assertEquals(lines(0, M / 2, M / 2, M / 2, 0, M / 2, M / 2, M / 2, 0, M / 2),
                prefetches(M, "50ms", List.of("scan-size=512K", "scan-forever=true"), "connect", "wait:5", "first:5"));
    }

    /** The thread ends at close, mid-scan, and says so under -v (nbdkit's debug line). */
    @Test
    void theThreadStopsAtClose() {
        Path disk = randomFile("disk.img", 8 * M, 6);
        String client = Clients.PYTHON + " -c 'import nbd, sys, time; h = nbd.NBD(); h.connect_uri(sys.argv[1]); "
                + "time.sleep(0.5); h.shutdown()' \"$uri\"";
        for (Impl impl : Impl.values()) {
            Cmd.Result r = Differential.captive(impl.command(), Map.of(), List.of("-v", "--filter=scan", "--filter=delay", "file",
                    disk.toString(), "delay-cache=200ms", "scan-size=512K"), client);
            assertTrue(r.err().contains("scan: exiting background thread on connection close"), impl + "\n" + r);
            assertTrue(!r.err().contains("scan: finished scanning the plugin"), impl + ": it stopped mid-scan\n" + r);
        }
    }

    /**
     * The page's stack for a plugin without cache: --filter=cache below the scan fills the cache
     * from the plugin while the client waits, then the client's reads are served from it (the log
     * below the cache sees the disk read once) and are the plugin's bytes.
     */
    @Test
    void throughTheCacheFilter() throws IOException {
        Clients.requirePythonNbd();
        Path disk = randomFile("disk.img", 6 * M, 7);
        Path client = tmp.resolve("cached.py");
        Files.writeString(client, """
                import hashlib, re, sys, time, nbd
                uri, log = sys.argv[1], sys.argv[2]
                READ = re.compile(r"Read id=\\d+ offset=0x[0-9a-f]+ count=(0x[0-9a-f]+) \\.\\.\\.$", re.M)
                def read_bytes():
                    with open(log) as f:
                        return sum(int(c, 16) for c in READ.findall(f.read()))
                h = nbd.NBD()
                h.connect_uri(uri)
                deadline = time.time() + 60
                while read_bytes() < h.get_size() and time.time() < deadline:
                    time.sleep(0.05)
                prefetched = read_bytes()
                data = h.pread(h.get_size(), 0) if h.get_size() <= 32 * 1024 * 1024 else b""
                print(prefetched, read_bytes(), hashlib.md5(data).hexdigest())
                h.shutdown()
                """);
        String md5 = Cmd.of("md5sum", disk.toString()).ok().out().substring(0, 32);
        for (Impl impl : Impl.values()) {
            Path log = tmp.resolve("log-" + impl);
            String out = Differential.captive(impl.command(), Map.of(), List.of("--filter=scan", "--filter=cache", "--filter=log",
                    "file", disk.toString(), "logfile=" + log), Clients.PYTHON + " " + client + " \"$uri\" " + log).out();
            assertEquals((6 * M) + " " + (6 * M) + " " + md5, out.strip(), impl + ": prefetched, read in all, md5");
        }
    }

    /** Where the filter cannot scan it says why (as errors, as nbdkit does) and serves the disk. */
    @Test
    void warnings() throws IOException {
        Path disk = randomFile("disk.img", M, 8);
        Path py = tmp.resolve("serial.py");
        Files.writeString(py, """
                import nbdkit
                API_VERSION = 2
                def thread_model(): return nbdkit.THREAD_MODEL_SERIALIZE_REQUESTS
                def open(readonly): return 1
                def get_size(h): return 1048576
                def can_cache(h): return nbdkit.CACHE_NATIVE
                def cache(h, count, offset, flags): pass
                def pread(h, buf, offset, flags): buf[:] = bytearray(len(buf))
                """);
        Map<String, List<String>> cases = Map.of(
                "scan: warning: not the default export, not scanning",
                List.of("-e", "foo", "--filter=scan", "file", disk.toString()),
                "scan: warning: underlying plugin does not support the PARALLEL thread model, not scanning",
                List.of("--filter=scan", "python", py.toString()),
                "scan: warning: underlying plugin does not support NBD_CMD_CACHE, not scanning; try adding --filter=cache after this filter",
                List.of("--filter=scan", "--filter=nocache", "file", disk.toString()));
        for (var c : cases.entrySet()) {
            for (Impl impl : Impl.values()) {
                Cmd.Result r = Differential.captive(impl.command(), Map.of(), c.getValue(), "nbdinfo --size \"$uri\"");
                assertEquals("1048576", r.out().strip(), impl + " " + c.getValue());
                assertTrue(r.err().contains("error: " + c.getKey()), impl + ": expected \"" + c.getKey() + "\"\n" + r);
            }
        }
    }

    @Test
    void badParameters() {
        for (String size : List.of("1000", "256", "64M", "0")) {
            badParameter("scan-size parameter should be [512..32M] and a power of two", "--filter=scan", "null", "1M", "scan-size=" + size);
        }
        badParameter("could not decipher boolean (maybe)", "--filter=scan", "null", "1M", "scan-ahead=maybe");
        badParameter("could not parse size string (x)", "--filter=scan", "null", "1M", "scan-size=x");
    }

    @Test
    void helpAsNbdkit() {
        assertEquals(FilterHelpIT.section(Impl.NBDKIT, "scan"), FilterHelpIT.section(Impl.JNBDKIT, "scan"));
    }
}
