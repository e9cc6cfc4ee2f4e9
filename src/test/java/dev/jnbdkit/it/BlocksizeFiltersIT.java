package dev.jnbdkit.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The blocksize and blocksize-policy filters, each command line run under jnbdkit and Debian's
 * nbdkit: what the client reads back, the advertised size and block sizes, extents, the errors
 * and the messages.
 */
class BlocksizeFiltersIT extends ItBase {
    /** Unaligned and oversized requests; prints a digest of everything read back. */
    private static final String UNALIGNED = """
            import errno, hashlib, random, sys, nbd
            h = nbd.NBD()
            h.add_meta_context("base:allocation")
            h.connect_uri(sys.argv[1])
            size = h.get_size()
            print("size", size)
            rnd = random.Random(42)
            model = bytearray(size)
            for i in range(40):
                n = rnd.choice([1, 7, 511, 513, 4095, 5000, 20000, 70000])
                off = rnd.randrange(0, size - n)
                data = bytes(rnd.getrandbits(8) for _ in range(n))
                h.pwrite(data, off)
                model[off:off + n] = data
            for (n, off) in [(1000, 3333), (777, 9000)]:
                h.zero(n, off)
                model[off:off + n] = bytes(n)
            h.trim(10000, 12345)   # advisory: the unaligned ends stay, the middle may read as zeros
            back = h.pread(size, 0) if size <= 32 * 1024 * 1024 else b""
            ok = all(back[i] == model[i] for i in range(size) if not (12345 <= i < 22345))
            print("matches", ok)
            print("digest", hashlib.sha256(back).hexdigest())
            h.cache(5000, 1)
            print("flags", h.can_zero(), h.can_trim(), h.can_fua(), h.can_flush(), h.can_multi_conn())
            """;

    private Path flaky() {
        Path p = tmp.resolve("flaky.py");
        try {
            if (!Files.exists(p)) Files.writeString(p, resource("flaky.py"));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        return p;
    }

    private List<String> eachServer(String script, String... args) {
        List<String> outs = new ArrayList<>();
        for (String server : Differential.servers()) {
            Server s = Differential.unix(server, tmp.resolve("s" + System.nanoTime()), args);
            Cmd.Result r = python(script, s.uri());
            s.stop();
            outs.add(r.out() + r.err());
        }
        assertEquals(outs.get(1), outs.get(0), "results differ from nbdkit's");
        return outs;
    }

    private static String json(String server, String... args) {
        List<String> a = new ArrayList<>(List.of(server, "-U", "-"));
        a.addAll(List.of(args));
        a.addAll(List.of("--run", "nbdinfo --json \"$uri\""));
        Cmd.Result r = Cmd.of(a).ok();
        // The description and the plugin's name may differ; everything the filter decides may not.
        return r.out().lines().filter(l -> !l.contains("\"description\"") && !l.contains("\"uri\"")).reduce("", (x, y) -> x + y + "\n");
    }

    private static String map(String server, String... args) {
        List<String> a = new ArrayList<>(List.of(server, "-U", "-"));
        a.addAll(List.of(args));
        a.addAll(List.of("--run", "nbdinfo --map \"$uri\""));
        return Cmd.of(a).ok().out();
    }

    @Test
    void pluginOnlySeesAlignedBoundedRequestsAndTheDataIsRight() {
        Path events = tmp.resolve("events");
        List<String> outs = eachServer(UNALIGNED, "--filter=blocksize", "python", flaky().toString(),
                "size=1000001", "minblock=512", "maxdata=4096", "maxlen=8192", "check-align=512",
                "check-max=4096", "events=" + events);
        assertTrue(outs.get(0).contains("size 999936"), outs.get(0)); // rounded down to minblock
        assertTrue(outs.get(0).contains("matches True"), outs.get(0));
        try {
            String ev = Files.readString(events);
            assertFalse(ev.contains("bad "), "the plugin saw a request the filter should have fixed:\n" + ev);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void withoutTheFilterThePluginRefusesThoseRequests() {
        // The check itself can fail: the same workload without the filter trips it.
        Server s = unix("python", flaky().toString(), "size=1000001", "check-align=512", "check-max=4096");
        Cmd.Result r = python(UNALIGNED, s.uri());
        assertTrue(r.exit() != 0, r.toString());
    }

    @Test
    void defaultsTakeThePluginsOwnLimits() {
        eachServer(UNALIGNED, "--filter=blocksize", "memory", "2M");
        eachServer(UNALIGNED, "--filter=blocksize", "memory", "2M", "minblock=64k");
    }

    @Test
    void sizeBlockSizesAndFlagsAsInNbdkit() {
        String[][] lines = {
                {"--filter=blocksize", "memory", "1000001"},
                {"--filter=blocksize", "memory", "1000001", "minblock=512"},
                {"--filter=blocksize", "memory", "1000001", "minblock=4k", "maxdata=8k"},
                {"--filter=blocksize", "memory", "1000001", "maxlen=1M"},
                {"--filter=blocksize-policy", "memory", "1M"},
                {"--filter=blocksize-policy", "memory", "1M", "blocksize-minimum=4k"},
                {"--filter=blocksize-policy", "memory", "1M", "blocksize-maximum=1M"},
                {"--filter=blocksize-policy", "memory", "1M", "blocksize-preferred=64k"},
                {"--filter=blocksize-policy", "memory", "1M", "blocksize-minimum=4k", "blocksize-preferred=16k",
                        "blocksize-maximum=64k"},
                {"--filter=blocksize-policy", "--filter=blocksize", "memory", "1M", "minblock=4k"},
        };
        for (String[] l : lines) {
            List<String> got = new ArrayList<>();
            for (String server : Differential.servers()) got.add(json(server, l));
            assertEquals(got.get(1), got.get(0), String.join(" ", l));
        }
    }

    @Test
    void extentsAreAlignedAsInNbdkit() {
        // Data in a few bytes of an otherwise sparse disk: with minblock=64k the whole block is data.
        String write = """
                import sys, nbd
                h = nbd.NBD()
                h.connect_uri(sys.argv[1])
                h.pwrite(b"x", 70000)
                h.pwrite(b"y" * 5000, 300000)
                """;
        for (String mb : List.of("minblock=64k", "minblock=512")) {
            List<String> maps = new ArrayList<>();
            for (String server : Differential.servers()) {
                Server s = Differential.unix(server, tmp.resolve("m" + System.nanoTime()),
                        "--filter=blocksize", "memory", "1M", mb);
                python(write, s.uri()).ok();
                maps.add(Cmd.of("nbdinfo", "--map", s.uri()).ok().out());
                s.stop();
            }
            assertEquals(maps.get(1), maps.get(0), mb);
        }
        assertEquals(map(Server.NBDKIT, "--filter=blocksize", "memory", "1M", "minblock=4k"),
                map(Server.program(), "--filter=blocksize", "memory", "1M", "minblock=4k"));
    }

    @Test
    void errorPolicyRejectsWhatBreaksTheConstraints() {
        String bad = """
                import errno, sys, nbd
                h = nbd.NBD()
                h.add_meta_context("base:allocation")
                h.set_strict_mode(0)
                h.connect_uri(sys.argv[1])
                def attempt(name, fn):
                    try:
                        fn()
                        print(name, "ok")
                    except nbd.Error as e:
                        print(name, "error", errno.errorcode.get(e.errno, e.errno))
                attempt("small read", lambda: h.pread(512, 0))
                attempt("big read", lambda: h.pread(131072, 0))
                attempt("odd count", lambda: h.pread(6144, 0))
                attempt("odd offset", lambda: h.pread(4096, 512))
                attempt("good read", lambda: h.pread(8192, 4096))
                attempt("small write", lambda: h.pwrite(b"x" * 100, 0))
                attempt("good write", lambda: h.pwrite(b"x" * 4096, 0))
                attempt("small zero", lambda: h.zero(100, 0))
                attempt("small trim", lambda: h.trim(100, 0))
                attempt("big zero", lambda: h.zero(1048576, 0))
                attempt("small cache", lambda: h.cache(100, 0))
                attempt("odd status", lambda: h.block_status(4096, 100, lambda *a: 0))
                """;
        List<String> errs = new ArrayList<>();
        List<String> outs = new ArrayList<>();
        for (String server : Differential.servers()) {
            Server s = Differential.unix(server, tmp.resolve("p" + outs.size()), "--filter=blocksize-policy",
                    "memory", "1M", "blocksize-minimum=4k", "blocksize-maximum=64k", "blocksize-error-policy=error");
            outs.add(python(bad, s.uri()).ok().out());
            s.stop();
            errs.add(s.stderr().lines().filter(l -> l.contains("request rejected"))
                    .map(l -> l.substring(l.indexOf("error: ")))
                    .reduce("", (x, y) -> x + y + "\n"));
        }
        assertEquals(outs.get(1), outs.get(0));
        assertEquals(errs.get(1), errs.get(0));
        assertTrue(outs.get(0).contains("small read error EINVAL") && outs.get(0).contains("good read ok")
                && outs.get(0).contains("big zero ok"), outs.get(0));
        assertTrue(errs.get(0).contains("client pread request rejected: count 512 is smaller than minimum size 4096"),
                errs.get(0));
        // allow (the default) passes the same requests to the plugin.
        Server s = unix("--filter=blocksize-policy", "memory", "1M", "blocksize-minimum=4k", "blocksize-maximum=64k",
                "blocksize-error-policy=allow");
        String allowed = python(bad, s.uri()).ok().out();
        assertTrue(allowed.contains("small read ok") && allowed.contains("odd offset ok"), allowed);
    }

    @Test
    void writeDisconnectDropsTheClient() {
        // nbdkit 1.34 (not Debian's 1.32): a write over the limit closes the connection.
        Server s = unix("--filter=blocksize-policy", "memory", "4M", "blocksize-write-disconnect=1M");
        String out = python("""
                import sys, nbd
                h = nbd.NBD()
                h.connect_uri(sys.argv[1])
                h.pwrite(b"x" * 1048576, 0)
                print("1M ok")
                try:
                    h.pwrite(b"x" * 2097152, 0)
                    print("2M ok")
                except nbd.Error as e:
                    print("2M failed")
                try:
                    h.pread(512, 0)
                    print("still connected")
                except nbd.Error as e:
                    print("disconnected")
                """, s.uri()).ok().out();
        assertEquals("1M ok\n2M failed\ndisconnected\n", out);
        assertTrue(s.stderr().contains("disconnecting client due to oversize write request"), s.stderr());
    }

    @Test
    void badParametersFailAsInNbdkit() {
        String[][] cases = {
                {"--filter=blocksize", "minblock=3"}, {"--filter=blocksize", "minblock=128k"},
                {"--filter=blocksize", "maxdata=1000", "minblock=512"}, {"--filter=blocksize", "maxlen=1000", "minblock=512"},
                {"--filter=blocksize", "maxdata=x"}, {"--filter=blocksize", "maxdata=0"}, {"--filter=blocksize", "maxlen=8G"},
                {"--filter=blocksize-policy", "blocksize-error-policy=foo"},
                {"--filter=blocksize-policy", "blocksize-minimum=3"}, {"--filter=blocksize-policy", "blocksize-minimum=128k"},
                {"--filter=blocksize-policy", "blocksize-preferred=256"}, {"--filter=blocksize-policy", "blocksize-preferred=64M"},
                {"--filter=blocksize-policy", "blocksize-maximum=8G"}, {"--filter=blocksize-policy", "blocksize-minimum=x"},
                {"--filter=blocksize-policy", "blocksize-minimum=4k", "blocksize-preferred=1k"},
                {"--filter=blocksize-policy", "blocksize-preferred=64k", "blocksize-maximum=4k"},
        };
        for (String[] c : cases) {
            List<String> a = new ArrayList<>(List.of(c[0], "memory", "1M"));
            a.addAll(List.of(c).subList(1, c.length));
            Differential.assertSameRefusal(a);
        }
    }
}
