package dev.jnbdkit.it;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The plugins that make up their disks: {@code pattern}, {@code zero}, {@code full},
 * {@code random}, {@code sparse-random} and {@code info}, through real clients and side by side
 * with Debian's nbdkit (bytes, size, map, capabilities, errors, messages).
 */
class SyntheticPluginsIT extends ItBase {

    @ParameterizedTest
    @ValueSource(strings = {
            "pattern 1M", "pattern 1000003", "pattern size=0", "zero", "full 1M",
            "random 1M seed=42", "random 100k seed=0", "random 3M seed=4294967295",
            "sparse-random 100M seed=42", "sparse-random 1G seed=99",
            "sparse-random 100M seed=7 percent=50 runlength=65536",
            "sparse-random 10M seed=7 random-content=true percent=30 runlength=1048576",
            "sparse-random 10M percent=100 seed=1", "sparse-random 10M percent=0", "info",
    })
    void sameDiskAsNbdkit(String cmdline) {
        PluginDiff.assertSameDisk(tmp, cmdline.split(" "));
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "pattern 1M", "zero", "full 1M", "random 1M seed=1",
            "sparse-random 1M seed=1 percent=50 runlength=8192", "info",
    })
    void sameCapabilitiesAndAnswersAsNbdkit(String cmdline) {
        PluginDiff.assertSameScript(tmp, resource("data/caps.py"), cmdline.split(" "));
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "random 1M seed=foo", "random 1M seed=-1", "random 1M seed=4294967296", "full",
            "sparse-random 1M percent=101", "sparse-random 1M percent=-1", "sparse-random 1M runlength=0",
            "sparse-random 1M random-content=foo", "info mode=foo", "pattern 1M foo=bar", "full 1M foo=bar",
            "random 1M foo=bar",
    })
    void badParametersAreRefusedAsNbdkitDoes(String cmdline) {
        Differential.assertSameRefusal(cmdline.split(" "));
    }

    @Test
    void patternHoldsEachWordsOffset() {
        Server s = unix("pattern", "9223372036854775807");
        String out = Cmd.of("nbdsh", "-u", s.uri(), "-c",
                "print(h.get_size()); print(h.pread(16, 0x28).hex()); print(h.pread(8, 9223372036854775800 - 3).hex())").ok().out();
        assertEquals(List.of("9223372036854775807", "00000000000000280000000000000030", "fffff07fffffffff" /* the tail of word 0x7ffffffffffffff0, the head of 0x7ffffffffffffff8 */), out.lines().toList());
        assertTrue(Cmd.of("nbdsh", "-u", s.uri(), "-c", "h.pwrite(b'x', 0)").run().exit() != 0, "pattern is read-only");
    }

    @Test
    void randomCopiesOntoItself() {
        Cmd.of(Server.program(), "-U", "-", "random", "size=10M", "--run", "nbdcopy \"$uri\" \"$uri\"").inheritPath().ok();
        Cmd.of(Server.program(), "-U", "-", "sparse-random", "size=100M", "seed=3",
                "--run", "nbdcopy \"$uri\" \"$uri\"").inheritPath().ok();
        // a copy of something else onto them fails
        Cmd.Result r = Cmd.of(Server.program(), "-U", "-", "random", "size=1M",
                "--run", "nbdcopy -- [ " + Server.program() + " pattern 1M ] \"$uri\"").inheritPath().run();
        assertTrue(r.exit() != 0, "writing other data to random must fail\n" + r);
        assertTrue(r.err().contains("data written does not match expected"), r.err());
    }

    @Test
    void sparseRandomDefaultsToTenPercentData() {
        Json map = Json.parse(Cmd.of(Server.program(), "-U", "-", "sparse-random", "size=16G", "seed=5",
                "--run", "nbdinfo --map --json \"$uri\"").inheritPath().ok().out());
        long data = 0;
        for (Json e : map.items()) if (e.get("type").asLong() == 0) data += e.get("length").asLong();
        double share = data / (double) (16L << 30);
        assertTrue(share > 0.03 && share < 0.2, "data share " + share);
    }

    @Test
    void fullRefusesWritesWithEnospc() {
        Server s = unix("full", "1M");
        String out = Cmd.of("nbdsh", "-u", s.uri(), "-c", String.join("\n",
                "import errno",
                "for f in (lambda: h.pwrite(b'x'*512, 0), lambda: h.zero(512, 0), lambda: h.trim(512, 0)):",
                "    try:",
                "        f(); print('ok')",
                "    except nbd.Error as e:",
                "        print(errno.errorcode[e.errnum])",
                "print(h.pread(512, 0) == bytes(512))")).ok().out();
        assertEquals(List.of("ENOSPC", "ENOSPC", "ENOSPC", "True"), out.lines().toList());
    }

    /** mode=address under both servers: "unix" over a Unix socket, ADDRESS:PORT over TCP (IPv4 and IPv6). */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.EnumSource(Server.Impl.class)
    void infoAddressIsTheClientsAddress(Server.Impl impl) {
        String unixDisk = Cmd.of(impl.command(), "-U", "-", "info", "mode=address",
                "--run", "nbdcopy \"$uri\" -").inheritPath().ok().out();
        assertEquals("unix", unixDisk);
        int port = Server.freePort();
        Server s = Server.launch(impl, List.of("-f", "-p", Integer.toString(port), "info", "mode=address"))
                .port(port).ready();
        try {
            for (String host : new String[] {"127.0.0.1", "[::1]"}) {
                String disk = Cmd.of(Clients.PYTHON, "-c", "import nbd, sys\n"
                        + "h = nbd.NBD(); h.connect_uri(sys.argv[1])\n"
                        + "sys.stdout.write(h.pread(h.get_size(), 0).decode())\n", "nbd://" + host + ":" + port).ok().out();
                assertTrue(disk.matches(java.util.regex.Pattern.quote(host) + ":\\d+"), impl + " over " + host + ": " + disk);
            }
        } finally {
            s.stop();
        }
        assertTrue(Cmd.of(impl.command(), "info", "--dump-plugin").inheritPath().ok().out().contains("info_address=yes\n"));
    }

    @Test
    void infoReflectsTheExportNameAndTheTime() {
        Server s = unix("info");
        String out = Cmd.of("nbdsh", "-u", s.uri("hello"), "-c", "print(h.get_size(), bytes(h.pread(h.get_size(), 0)))").ok().out();
        assertEquals("5 b'hello'", out.strip());
        Server b64 = Server.unix(tmp.resolve("b64.sock"), "info", "mode=base64exportname");
        out = Cmd.of("nbdsh", "-u", b64.uri("aGVsbG8gbmJka2l0IHVzZXI="), "-c", "print(bytes(h.pread(h.get_size(), 0)))").ok().out();
        assertEquals("b'hello nbdkit user'", out.strip());
        for (String mode : new String[] {"time", "uptime", "conntime"}) {
            Server t = Server.unix(tmp.resolve(mode + ".sock"), "info", mode);
            String hex = Cmd.of("nbdsh", "-u", t.uri(), "-c", "print(h.get_size(), h.pread(12, 0).hex())").ok().out().strip();
            String[] parts = hex.split(" ");
            assertEquals("12", parts[0], mode);
            ByteBuffer bb = ByteBuffer.wrap(java.util.HexFormat.of().parseHex(parts[1]));
            long secs = bb.getLong();
            int micros = bb.getInt();
            assertTrue(micros >= 0 && micros < 1_000_000, mode + " micros " + micros);
            long now = System.currentTimeMillis() / 1000;
            if (mode.equals("time")) assertTrue(Math.abs(secs - now) < 60, "time " + secs + " vs " + now);
            else assertTrue(secs >= 0 && secs < 600, mode + " " + secs);
        }
    }

    @Test
    void dumpPluginAndHelpMatchNbdkit() {
        for (String p : new String[] {"pattern", "zero", "full", "random", "sparse-random", "info"}) {
            String ours = runServer(p, "--dump-plugin").ok().out();
            String theirs = Cmd.of(Server.NBDKIT, p, "--dump-plugin").ok().out();
            for (String key : new String[] {"name=", "magic_config_key=", "thread_model=", "max_thread_model="}) {
                assertEquals(theirs.lines().filter(l -> l.startsWith(key)).toList(),
                        ours.lines().filter(l -> l.startsWith(key)).toList(), p + " " + key);
            }
            String help = runServer(p, "--help").ok().out();
            String theirHelp = Cmd.of(Server.NBDKIT, p, "--help").ok().out();
            String theirPluginPart = theirHelp.substring(theirHelp.indexOf(".so)") + 5).strip();
            assertTrue(help.contains(theirPluginPart), p + " --help lacks nbdkit's parameter help:\n" + theirPluginPart + "\n---\n" + help);
        }
    }
}
