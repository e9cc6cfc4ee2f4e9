package dev.jnbdkit.it;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The {@code data} plugin through real clients, and side by side with Debian's nbdkit: the same
 * data strings give the same bytes, size and map; the same bad ones the same message and exit 1.
 */
class DataPluginIT extends ItBase {

    /** Fixtures in src/test/resources/it/data/, copied next to the test. */
    private Path fixture(String name) {
        try (var in = DataPluginIT.class.getResourceAsStream("/it/data/" + name)) {
            Path p = tmp.resolve(name);
            Files.write(p, in.readAllBytes());
            return p;
        } catch (java.io.IOException | NullPointerException e) {
            throw new AssertionError("missing fixture it/data/" + name, e);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "0 1 2 3 @0x1fe 0x55 0xaa",
            "0 1 2 3 @^0x200 @-2 le16:0xaa55",
            " ( 0x55 0xAA )*2048 ",
            "( 1 2 )*3 [1:4]",
            "1 2 3 [1:]",
            "\"ab\"*2[1:]",
            "\"a\\tb\\\\c\\\"d\\n\" 0xff*4 @+5 @-6",
            "be64:0x0102030405060708 le64:1 be16:0x102 le32:0xffffffff",
            "( @4 1 ) ( 2 ) 1*0 09 010",
            " ( 0x55 0xAA ) -> \\boot-signature ( @0x1fe \\boot-signature ) -> \\sector \\sector \\sector ",
            "1 -> \\a ( 2 -> \\a \\a ) \\a # a comment\n 3",
            "\\a -> \\b 7",
            "@32767 1 @131072",
            "0 @65536",
            "0 0 @65536",
            "(0 1)*2 @0 0*4 @65536",
            "@65536 1 @0 0*32768",
            "( @100 1 )*700 @1048576",
            "<(printf abc)*3 <(yes)[:100000]",
    })
    void sameDiskAsNbdkit(String data) {
        PluginDiff.assertSameDisk(tmp, "data", data);
    }

    @Test
    void sizeBase64RawAllocatorAndVariables() {
        PluginDiff.assertSameDisk(tmp, "data", " ( \"Hello\" )*2000 ", "size=8192");
        PluginDiff.assertSameDisk(tmp, "data", "1 2 3", "size=2");
        PluginDiff.Seen big = PluginDiff.assertSameDisk(tmp, "data", "1", "size=1M");
        assertEquals(1 << 20, big.size());
        PluginDiff.assertSameDisk(tmp, "data", "base64=MTIz", "size=1M");
        PluginDiff.assertSameDisk(tmp, "data", "base64=AAAA", "size=1M");
        PluginDiff.assertSameDisk(tmp, "data", "raw=Hello, world!");
        PluginDiff.assertSameDisk(tmp, "data", "@1000 1", "size=1M", "allocator=malloc");
        PluginDiff.assertSameDisk(tmp, "data", "$pattern*16 $x", "pattern=0x55 0xAA", "x=3");
    }

    @Test
    void filesAreCopiedIn() {
        Path five = fixture("five.bin");
        Path sig = fixture("sig.bin");
        PluginDiff.Seen s = PluginDiff.assertSameDisk(tmp, "data",
                "<" + five + "[1:3] <" + five + " @^512 ( <" + five + " )*2 @0x1fe <" + sig + " @^512");
        assertEquals(522, s.size()); // (five)*2 reaches 522, past the final @^512
    }

    @Test
    void environmentVariablesAreData() {
        for (String program : new String[] {Server.program(), Server.NBDKIT}) {
            Cmd.Result r = Cmd.of(program, "-U", "-", "data", "$pattern*2", "--run", "nbdcopy \"$uri\" - | od -An -tx1")
                    .inheritPath().env("pattern", "0x55 0xAA").ok();
            assertEquals("55 aa 55 aa", r.out().strip(), program);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "@@", "0x100", "foo", "\"abc", "@-1", "1 @-2", "\\a", "( 1 -> \\a ) \\a", "<nonexist", "<",
            "le16:0x10000", "le16:1*3", "le16:abc", "le8:1", "( 1 2", "1 2 )", "*3", "1**2", "[1:2]", "1 [a:2]",
            "(1 2)[5:]", "(1 2)[1:0]", "$nonexist", "@^3", "1 2 3 @^-2", "1*-1", "<(exit 1)",
    })
    void badDataIsRefusedAsNbdkitDoes(String data) {
        Differential.assertSameRefusal("data", data);
    }

    @Test
    void badParametersAreRefusedAsNbdkitDoes() {
        assertEquals("error: raw|base64|data parameter must be specified exactly once\n",
                Differential.assertSameRefusal("data", "raw=abc", "base64=YQ=="));
        Differential.assertSameRefusal("data");
        Differential.assertSameRefusal("data", "data=1", "data=2");
        Differential.assertSameRefusal("data", "base64=!!");
        Differential.assertSameRefusal("data", "1", "allocator=foo");
    }

    @Test
    void writesZeroesAndTrimsAsNbdkit() {
        String out = PluginDiff.assertSameScript(tmp, resource("data/ops.py"), "data", "1 @0x1fe 0x55 0xaa", "size=1M");
        assertTrue(out.contains("after zero of the write"), out);
    }

    /** Block status from unaligned offsets, with REQ_ONE: the zero parts of allocated chunks. */
    @Test
    void unalignedBlockStatusAsNbdkit() {
        PluginDiff.assertSameScript(tmp, resource("data/reqone.py"), "data", "1 @65536 1 @100000 0 @200000");
        PluginDiff.assertSameScript(tmp, resource("data/reqone.py"), "data", "@40000 1 @70000 2 3 4 @200000");
    }

    @Test
    void readOnlyAndQemu() {
        Server s = unix("-r", "data", "( 0x55 0xAA )*256", "size=1M");
        Json info = nbdinfoJson(s.uri());
        assertTrue(info.get("exports").at(0).get("is_read_only").asBool(), "-r must give a read-only export");
        Cmd.Result q = Cmd.of("qemu-img", "info", "--output=json", s.uri()).ok();
        assertEquals(1 << 20, Json.parse(q.out()).get("virtual-size").asLong());
        Path out = tmp.resolve("out.raw");
        Cmd.of("qemu-img", "convert", "-f", "raw", "-O", "raw", s.uri(), out.toString()).ok();
        Path want = tmp.resolve("want.raw");
        byte[] b = new byte[1 << 20];
        for (int i = 0; i < 512; i += 2) { b[i] = 0x55; b[i + 1] = (byte) 0xaa; }
        try { Files.write(want, b); } catch (java.io.IOException e) { throw new AssertionError(e); }
        assertFilesEqual(want, out);
        Cmd.Result w = Cmd.of("nbdsh", "-u", s.uri(), "-c", "h.pwrite(b'x', 0)").run();
        assertTrue(w.exit() != 0, "a write to a read-only export must fail\n" + w);
    }

    @Test
    void helpAndDumpPlugin() {
        String dump = runServer("data", "--dump-plugin").ok().out();
        for (String line : new String[] {"name=data", "magic_config_key=data", "thread_model=parallel",
                "max_thread_model=parallel", "data_base64=yes"}) {
            assertTrue(dump.lines().anyMatch(line::equals), "--dump-plugin lacks " + line + "\n" + dump);
        }
        String theirs = Cmd.of(Server.NBDKIT, "data", "--dump-plugin").ok().out();
        for (String key : new String[] {"name=", "magic_config_key=", "thread_model=", "max_thread_model="}) {
            assertEquals(theirs.lines().filter(l -> l.startsWith(key)).toList(),
                    dump.lines().filter(l -> l.startsWith(key)).toList(), key);
        }
        String help = runServer("data", "--help").ok().out();
        assertTrue(help.contains("data|raw|base64=...     Specify disk data on the command line"), help);
        assertTrue(help.contains("size=<SIZE>             Size of the backing disk"), help);
    }
}
