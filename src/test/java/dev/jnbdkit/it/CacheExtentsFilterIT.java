package dev.jnbdkit.it;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * nbdkit-cacheextents-filter: a client walking the disk one extent at a time (qemu-img map asks
 * with REQ_ONE) costs the plugin one block-status call, as under nbdkit (counted in -v's trace
 * of the plugin's calls); writes, trims and zeroes make the next answer fresh.
 */
class CacheExtentsFilterIT extends ItBase {
    private static final Map<String, String> NO_ENV = Map.of();

    /** 4 MiB with 21 data extents of 64K, every other 64K from 0, the rest holes. */
    private Path fragmented() {
        Path p = tmp.resolve("frag.img");
        byte[] data = new byte[65536];
        java.util.Arrays.fill(data, (byte) 0x5a);
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
            f.setLength(4 << 20);
            for (int i = 0; i <= 40; i += 2) {
                f.seek(i * 65536L);
                f.write(data);
            }
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        return p;
    }

    @Test
    void helpShowsTheFilterAsNbdkit() {
        String ours = runServer("--filter=cacheextents", "memory", "1M", "--help").ok().out();
        assertTrue(ours.contains("filter: cacheextents (nbdkit cacheextents filter)\n"), ours);
        String theirs = Cmd.of(Server.NBDKIT, "--filter=cacheextents", "memory", "1M", "--help").ok().out();
        assertEquals(CowFilterIT.filterHelp(theirs, "cacheextents"), CowFilterIT.filterHelp(ours, "cacheextents"));
    }

    /** How often the file plugin's extents ran while qemu-img mapped the disk, and the map. */
    private static String pluginExtentCalls(String program, List<String> filters, Path img) {
        List<String> argv = new java.util.ArrayList<>(List.of(program, "-v", "-U", "-"));
        argv.addAll(filters);
        argv.addAll(List.of("file", img.toString(), "--run", "qemu-img map -f raw --output=json \"$uri\""));
        Cmd.Result r = Cmd.of(argv).ok();
        long calls = r.err().lines().filter(l -> l.contains("debug: file: extents ")).count();
        return calls + " plugin calls\n" + r.out();
    }

    @Test
    void oneExtentAtATimeCostsThePluginOneCallAsNbdkit() {
        Path img = fragmented();
        String plain = pluginExtentCalls(Server.program(), List.of(), img);
        String cached = pluginExtentCalls(Server.program(), List.of("--filter=cacheextents"), img);
        assertEquals(pluginExtentCalls(Server.NBDKIT, List.of(), img), plain);
        assertEquals(pluginExtentCalls(Server.NBDKIT, List.of("--filter=cacheextents"), img), cached);
        assertTrue(cached.startsWith("1 plugin calls\n"), cached);
        assertTrue(plain.startsWith("42 plugin calls\n"), plain);
        assertEquals(plain.substring(plain.indexOf('\n')), cached.substring(cached.indexOf('\n')), "the same map");
    }

    /** The -D cacheextents.cache=1 lines, without the prefix and the pointer nbdkit prints. */
    private static List<String> cacheDebug(String program, Path img) {
        Cmd.Result r = Cmd.of(program, "-v", "-D", "cacheextents.cache=1", "-U", "-", "--filter=cacheextents", "file",
                img.toString(), "--run", "qemu-img map -f raw --output=json \"$uri\" >/dev/null").ok();
        return r.err().lines().filter(l -> l.contains("debug: cacheextents: "))
                .map(l -> l.substring(l.indexOf("cacheextents: ")))
                .filter(l -> l.startsWith("cacheextents: cache_start=") || l.equals("cacheextents: cache miss")
                        || l.equals("cacheextents: returning from cache") || l.startsWith("cacheextents: updating cache"))
                .map(l -> l.replaceAll("cache_extents=0x[0-9a-f]+", "cache_extents=PTR"))
                .toList();
    }

    @Test
    void debugFlagTellsWhatTheCacheDoesAsNbdkit() {
        Path img = fragmented();
        List<String> ours = cacheDebug(Server.program(), img);
        assertEquals(cacheDebug(Server.NBDKIT, img), ours);
        assertTrue(ours.contains("cacheextents: cache miss") && ours.contains("cacheextents: returning from cache"),
                String.join("\n", ours));
    }

    @Test
    void changesMakeTheNextAnswerFreshAsNbdkit() {
        String out = Differential.sameOps(tmp, NO_ENV, List.of("--filter=cacheextents", "memory", "4M"),
                "e:0", "e:65536:4096:one", "w:1048576:65536:1", "e:1048576:4096:one", "e:0",
                "t:1048576:32768", "e:1048576:65536", "z:2097152:65536", "e:0", "e:2097152:100:one",
                "w:3145728:10:2", "e:3000000:1000000:one", "e:0");
        assertTrue(out.contains("e:1048576:4096:one [(4096, 0)]"), out);
        Differential.sameMap(NO_ENV, List.of("--filter=cacheextents", "file", fragmented().toString()), "");
    }
}
