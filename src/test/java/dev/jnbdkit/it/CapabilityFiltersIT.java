package dev.jnbdkit.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jnbdkit.it.Server.Impl;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The filters that change what is advertised and what reaches the plugin: nozero, noextents,
 * nocache, noparallel, fua. Each mode runs under jnbdkit and nbdkit: the flags
 * (nbdinfo --json), what the client sees, and a log filter placed below the filter under test
 * (what reaches the plugin) must be the same.
 */
class CapabilityFiltersIT extends FilterItBase {

    /** A Python plugin with pread/pwrite only: no flush, no FUA, no zero of its own. */
    Path pwriteOnlyPlugin() throws IOException {
        Path p = tmp.resolve("pwrite_only.py");
        Files.writeString(p, """
                API_VERSION = 2
                disk = bytearray(1024 * 1024)
                def open(readonly): return 1
                def get_size(h): return len(disk)
                def pread(h, buf, offset, flags): buf[:] = disk[offset:offset + len(buf)]
                def pwrite(h, buf, offset, flags): disk[offset:offset + len(buf)] = buf
                """);
        return p;
    }

    static final String ZEROES = """
            h.pwrite(b"a" * 4096, 0)
            print("zero", h.can_zero(), "fast", h.can_fast_zero())
            if h.can_zero():
                h.zero(4096, 0)
                h.zero(512, 4096, nbd.CMD_FLAG_NO_HOLE)
                if h.can_fast_zero():
                    h.pwrite(b"b" * 4096, 0)
                    try:
                        h.zero(4096, 0, nbd.CMD_FLAG_FAST_ZERO)
                        print("fast zero done")
                    except nbd.Error as e:
                        print("fast zero failed", errno.errorcode.get(e.errno, e.errno))
            print(h.pread(4, 0))
            h.shutdown()
            """;

    @Test
    void nozeroEveryMode() {
        for (String zm : List.of("none", "emulate", "notrim", "plugin")) {
            for (String fm : List.of("default", "none", "slow", "ignore")) {
                String[] seen = new String[1];
                String log = sameLog(args("--filter=nozero", "--filter=log", "memory", "1M", "zeromode=" + zm, "fastzeromode=" + fm),
                        args(), s -> seen[0] = info(s) + py(s, ZEROES));
                String mode = zm + "/" + fm + "\n" + seen[0] + log;
                boolean advertised = !zm.equals("none");
                assertTrue(seen[0].contains("\"can_zero\": " + advertised), mode);
                if (zm.equals("emulate")) assertTrue(!log.contains(" Zero id=") && log.contains("Write id=2 offset=0x0 count=0x1000"), mode);
                if (zm.equals("notrim")) assertTrue(log.contains("Zero id=2 offset=0x0 count=0x1000 trim=0"), mode);
                if (zm.equals("plugin")) assertTrue(log.contains("Zero id=2 offset=0x0 count=0x1000 trim=1"), mode);
                // An emulated zero is never fast: ENOTSUP whatever fastzeromode says (as nbdkit)
                if (advertised && (fm.equals("slow") || zm.equals("emulate")) && !fm.equals("none")) {
                    assertTrue(seen[0].contains("fast zero failed ENOTSUP"), mode);
                }
                if (advertised && fm.equals("ignore") && !zm.equals("emulate")) assertTrue(seen[0].contains("fast zero done"), mode);
                if (fm.equals("none")) assertTrue(seen[0].contains("\"can_fast_zero\": false"), mode);
            }
        }
        badParameter("unknown zeromode 'foo'", "--filter=nozero", "memory", "1M", "zeromode=foo");
        badParameter("unknown fastzeromode 'foo'", "--filter=nozero", "memory", "1M", "fastzeromode=foo");
    }

    @Test
    void noextents() {
        Path img = sparse("sparse.img", 1 << 20, 65536, 4096);
        String map = same(args("--filter=noextents", "-r", "file", img.toString()), s -> map(s) + info(s));
        assertTrue(map.startsWith("         0     1048576    0  data\n"), map);
        // Without the filter the same file has holes (so the filter is what hid them).
        Server plain = start(Impl.JNBDKIT, args("-r", "file", img.toString()));
        assertTrue(map(plain).contains("hole"), "the file has no holes to hide");
        plain.stop();
    }

    @Test
    void nocacheEveryMode() {
        for (String m : List.of("none", "emulate", "nop")) {
            String[] seen = new String[1];
            String log = sameLog(args("--filter=nocache", "--filter=log", "memory", "1M", "cachemode=" + m), args(),
                    s -> seen[0] = info(s) + py(s, "if h.can_cache():\n    h.cache(8192, 4096)\nh.shutdown()\n"));
            assertTrue(seen[0].contains("\"can_cache\": " + !m.equals("none")), m + seen[0]);
            assertEquals(m.equals("emulate"), log.contains("Read id=1 offset=0x1000 count=0x2000"), m + "\n" + log);
            assertTrue(!log.contains("Cache id="), m + "\n" + log);
        }
        String log = sameLog(args("--filter=log", "--filter=nocache", "memory", "1M", "cachemode=nop"), args(),
                s -> py(s, "h.cache(8192, 4096)\nh.shutdown()\n"));
        assertTrue(log.contains("Cache id=1 offset=0x1000 count=0x2000 ...\nconnection=1 ...Cache id=1 return=0"), log);
        badParameter("unknown cachemode 'x'", "--filter=nocache", "memory", "1M", "cachemode=x");
    }

    @Test
    void noparallelEveryMode() {
        String[][] modes = {{"", "2"}, {"serialize=requests", "2"}, {"serialize=all-requests", "1"},
                {"serialize=all_requests", "1"}, {"serialize=connections", "0"}};
        for (String[] m : modes) {
            List<String> a = new java.util.ArrayList<>(args("--filter=log", "--filter=noparallel", "memory", "1M"));
            List<String> after = m[0].isEmpty() ? args() : args(m[0]);
            String[] seen = new String[1];
            String log = sameLog(a, after, s -> seen[0] = info(s));
            assertTrue(log.startsWith("Ready thread_model=" + m[1] + "\n"), m[0] + "\n" + log);
            assertTrue(seen[0].contains("\"can_multi_conn\": " + !m[1].equals("0")), m[0] + seen[0]);
        }
        badParameter("unknown noparallel serialize mode 'x'", "--filter=noparallel", "memory", "1M", "serialize=x");
    }

    static final String FUA = """
            print("fua", h.can_fua(), "flush", h.can_flush())
            f = nbd.CMD_FLAG_FUA if h.can_fua() else 0
            h.pwrite(b"a" * 512, 0, f)
            h.pwrite(b"b" * 512, 512)
            h.zero(512, 1024, f)
            if h.can_trim():
                h.trim(512, 2048, f)
            if h.can_flush():
                h.flush()
            print(h.pread(4, 0), h.pread(4, 512))
            h.shutdown()
            """;

    @Test
    void fuaEveryMode() {
        for (String m : List.of("none", "emulate", "native", "force", "pass", "discard")) {
            String[] seen = new String[1];
            // nbdkit 1.32 refuses fuamode=none (the 1.34 page names it): the default is the same mode
            List<String> param = m.equals("none") ? args() : args("fuamode=" + m);
            String log = sameLog(args("--filter=fua", "--filter=log", "memory", "1M"), param,
                    s -> seen[0] = info(s) + py(s, FUA));
            String what = m + "\n" + seen[0] + log;
            assertTrue(seen[0].contains("\"can_fua\": " + !m.equals("none")), what);
            switch (m) {
                case "emulate" -> assertTrue(log.contains("Write id=1 offset=0x0 count=0x200 fua=0 ...\nconnection=3 ...Write id=1 return=0\nconnection=3 Flush id=2"), what);
                case "force" -> assertTrue(log.contains("Write id=2 offset=0x200 count=0x200 fua=1") && !log.contains("Flush"), what);
                case "discard" -> assertTrue(log.contains("Write id=1 offset=0x0 count=0x200 fua=0") && !log.contains("Flush"), what);
                case "native", "pass" -> assertTrue(log.contains("Write id=1 offset=0x0 count=0x200 fua=1"), what);
                default -> assertTrue(log.contains("Write id=1 offset=0x0 count=0x200 fua=0"), what);
            }
        }
        badParameter("unknown fuamode 'x'", "--filter=fua", "memory", "1M", "fuamode=x");
        Server s = start(Impl.JNBDKIT, args("--filter=fua", "memory", "1M", "fuamode=none"));
        assertTrue(info(s).contains("\"can_fua\": false"), "fuamode=none");
        s.stop();
    }

    /** Modes a plugin cannot back: the connection is refused with nbdkit's message. */
    @Test
    void fuaNeedsPluginSupport() throws IOException {
        Path plugin = pwriteOnlyPlugin();
        for (String m : List.of("emulate", "native", "force")) {
            String msgs = String.join("\n", each(args("--filter=fua", "python", plugin.toString(), "fuamode=" + m), s -> {
                Cmd.of("nbdinfo", s.uri()).fails();
                return String.join("\n", errors(s));
            }).values());
            String want = m.equals("emulate") ? "error: fuamode 'emulate' requires plugin flush support"
                    // nbdkit 1.32 names the mode 'force' for native too; the message names the mode given
                    : "error: fuamode '" + m + "' requires plugin fua support";
            assertTrue(msgs.contains(want), m + "\n" + msgs);
        }
        // discard gives flush to a plugin that has none
        String out = same(args("--filter=fua", "python", plugin.toString(), "fuamode=discard"), s -> info(s) + py(s, FUA));
        assertTrue(out.contains("fua True flush True"), out);
    }
}
