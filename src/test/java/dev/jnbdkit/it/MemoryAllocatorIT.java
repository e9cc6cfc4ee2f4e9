package dev.jnbdkit.it;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The memory (and data) plugins' {@code allocator=} as nbdkit's test scripts use it, side by side
 * with Debian's nbdkit: {@code malloc,mlock=true} locks the disk with mlock(2) (seen with strace),
 * serves the same bytes, fails the same way when the kernel refuses the lock, and bad allocator
 * strings get nbdkit's two lines.
 */
class MemoryAllocatorIT extends ItBase {
    private static final Pattern MLOCK = Pattern.compile("mlock\\(0x[0-9a-f]+, (\\d+)\\) += (-?\\d+)");

    /** The sizes and results of the mlock calls {@code impl ARGS --run RUN} made (strace -f). */
    private List<String> mlocks(Server.Impl impl, String run, String... args) throws Exception {
        Clients.require("strace");
        Path trace = tmp.resolve(impl + ".strace");
        List<String> argv = new ArrayList<>(List.of("strace", "-f", "-qq", "-e", "trace=mlock", "-o", trace.toString(),
                impl.command(), "-U", "-"));
        argv.addAll(List.of(args));
        argv.addAll(List.of("--run", run));
        Cmd.of(argv).inheritPath().ok();
        List<String> calls = new ArrayList<>();
        Matcher m = MLOCK.matcher(Files.readString(trace));
        while (m.find()) calls.add(m.group(1) + " = " + m.group(2));
        return calls;
    }

    @Test
    void mlockLocksTheWholeDiskAsNbdkit() throws Exception {
        for (String alloc : new String[] {"malloc,mlock=true", "malloc,mlock", "malloc,mlock=on"}) {
            for (Server.Impl impl : Server.Impl.values()) {
                assertEquals(List.of("4194304 = 0"), mlocks(impl, "nbdinfo --size \"$uri\"", "memory", "4M", "allocator=" + alloc),
                        impl + " " + alloc);
            }
        }
        for (Server.Impl impl : Server.Impl.values()) {
            assertEquals(List.of(), mlocks(impl, "nbdinfo --size \"$uri\"", "memory", "4M", "allocator=malloc,mlock=false"),
                    impl + " mlock=false");
        }
        // the locked disk is an ordinary disk to clients
        String script = """
                import nbd, sys, hashlib
                h = nbd.NBD(); h.connect_uri(sys.argv[1])
                h.pwrite(b'\\x5a' * 65536, 1 << 20)
                h.zero(4096, 8192)
                print(h.get_size(), hashlib.sha256(h.pread(2 << 20, 0)).hexdigest())
                """;
        assertTrue(PluginDiff.assertSameScript(tmp, script, "memory", "4M", "allocator=malloc,mlock=true")
                .startsWith("4194304 "));
        PluginDiff.assertSameDisk(tmp, "memory", "4M", "allocator=malloc,mlock=true");
        PluginDiff.assertSameDisk(tmp, "data", "1 2 3 @4096 0x55", "size=1M", "allocator=malloc,mlock=true");
        for (Server.Impl impl : Server.Impl.values()) {
            String dump = Server.command(impl, "memory", "--dump-plugin").ok().out();
            assertTrue(dump.contains("\nmlock=yes\n"), impl + ": " + dump);
        }
    }

    @Test
    void aRefusedLockStopsTheServerAsNbdkit() {
        Clients.require("prlimit");
        // without CAP_IPC_LOCK and with a 64 KiB RLIMIT_MEMLOCK, a 4 MiB lock fails with ENOMEM
        List<String> seen = new ArrayList<>();
        for (Server.Impl impl : Server.Impl.values()) {
            Cmd.Result r = Cmd.of("prlimit", "--memlock=65536", "setpriv", "--bounding-set=-ipc_lock",
                    "--inh-caps=-ipc_lock", impl.command(), "-U", "-", "memory", "4M", "allocator=malloc,mlock=true",
                    "--run", "nbdinfo --size \"$uri\"").inheritPath().exit(1);
            seen.add(Differential.message(r.err()));
        }
        assertEquals("error: allocator=malloc: mlock: Cannot allocate memory\n", seen.get(0));
        assertEquals(seen.get(1), seen.get(0), "expected = nbdkit");
    }

    @Test
    void badAllocatorsGetNbdkitsMessages() {
        assertEquals("error: could not decipher boolean (maybe)\nerror: unknown allocator \"malloc,mlock=maybe\"\n",
                Differential.assertSameRefusal("memory", "4M", "allocator=malloc,mlock=maybe"));
        assertEquals("error: allocator=sparse does not take extra parameters\n"
                + "error: unknown allocator \"sparse,mlock=true\"\n",
                Differential.assertSameRefusal("memory", "4M", "allocator=sparse,mlock=true"));
        assertEquals("error: allocator=malloc: unknown parameter foo\nerror: unknown allocator \"malloc,foo=1\"\n",
                Differential.assertSameRefusal("memory", "4M", "allocator=malloc,foo=1"));
        assertEquals("error: unknown allocator \"bogus\"\n", Differential.assertSameRefusal("memory", "4M", "allocator=bogus"));
        Differential.assertSameRefusal("data", "1", "allocator=sparse,mlock");
    }

    /**
     * allocator=zstd: pages compressed with the system's libzstd. The same bytes as nbdkit's for
     * the same requests (compressible, random, unaligned, zeroed and trimmed data). Extents only
     * on jnbdkit: nbdkit 1.32's zstd allocator crashes on a block-status request (SIGSEGV,
     * seen with {@code nbdkit memory 1M allocator=zstd --run 'nbdinfo --map "$uri"'}).
     */
    @Test
    void zstdServesTheSameBytesAsNbdkit() {
        String script = """
                import nbd, sys, hashlib, random
                h = nbd.NBD(); h.connect_uri(sys.argv[1])
                r = random.Random(23)
                h.pwrite(b'\\x5a' * 65536, 1 << 20)
                h.pwrite(bytes(r.getrandbits(8) for _ in range(100000)), 12345)
                h.pwrite(b'abc' * 1000, (3 << 20) - 1000)
                h.zero(4096, 1 << 20)
                h.trim(32768, 65536)
                h.zero(65536, 2 << 20, nbd.CMD_FLAG_NO_HOLE)
                print(h.get_size(), hashlib.sha256(h.pread(4 << 20, 0)).hexdigest(),
                      hashlib.sha256(h.pread(1000, 12000)).hexdigest())
                """;
        assertTrue(PluginDiff.assertSameScript(tmp, script, "memory", "4M", "allocator=zstd").startsWith("4194304 "));
        assertTrue(PluginDiff.assertSameScript(tmp, script, "data", "1 2 3 @4096 0x55", "size=4M", "allocator=zstd")
                .startsWith("4194304 "));
        for (Server.Impl impl : Server.Impl.values()) {
            String dump = Server.command(impl, "memory", "--dump-plugin").ok().out();
            assertTrue(dump.contains("\nzstd=yes"), impl + ": " + dump);
        }
        // jnbdkit: holes of 32 KiB pages where nothing (or only zeros) was written
        Server s = unix("memory", "1M", "allocator=zstd");
        python("""
                import nbd, sys
                h = nbd.NBD(); h.connect_uri(sys.argv[1])
                h.pwrite(b'x' * 100, 40000)
                h.pwrite(bytes(32768), 98304)
                h.pwrite(b'y', 1048575)
                """, s.uri()).ok();
        String map = Cmd.of("nbdinfo", "--map", s.uri()).ok().out();
        assertEquals(List.of("0 32768 3 hole,zero", "32768 32768 0 data", "65536 950272 3 hole,zero",
                "1015808 32768 0 data"), map.lines().map(l -> l.strip().replaceAll("\\s+", " ")).toList(), map);
    }

    @Test
    void zstdTakesNoParametersAsNbdkit() {
        assertEquals("error: allocator=zstd does not take extra parameters\nerror: unknown allocator \"zstd,mlock=true\"\n",
                Differential.assertSameRefusal("memory", "4M", "allocator=zstd,mlock=true"));
    }
}
