package dev.jnbdkit.plugins.sh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jnbdkit.spi.BlockSize;
import dev.jnbdkit.spi.CacheMode;
import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.Export;
import dev.jnbdkit.spi.Extent;
import dev.jnbdkit.spi.Flags;
import dev.jnbdkit.spi.FuaMode;
import dev.jnbdkit.spi.PluginException;
import dev.jnbdkit.spi.ThreadModel;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Parsing what scripts print: sizes, modes, extents, export lists; the flag words they get. */
class ScriptOutputTest {
    private static byte[] b(String s) { return s.getBytes(StandardCharsets.UTF_8); }

    @Test
    void chompDropsOneNewline() {
        assertEquals("h", ScriptOutput.chomp(b("h\n")));
        assertEquals("h\n", ScriptOutput.chomp(b("h\n\n")));
        assertEquals("", ScriptOutput.chomp(b("")));
        assertEquals("no newline", ScriptOutput.chomp(b("no newline")));
    }

    @Test
    void sizesInNbdkitSyntax() {
        assertEquals(1 << 20, ScriptOutput.size("s", "get_size", "1M"));
        assertEquals(512, ScriptOutput.size("s", "get_size", "512"));
        assertEquals(1024, ScriptOutput.size("s", "get_size", "2s"));
        PluginException e = assertThrows(PluginException.class, () -> ScriptOutput.size("/x.sh", "get_size", "1Mx"));
        assertEquals("/x.sh: could not parse output from get_size method: 1Mx", e.getMessage());
        assertEquals(Errno.EIO, e.errno());
    }

    @Test
    void blockSizeIsThreeSizes() {
        assertEquals(new BlockSize(512, 4096, 1 << 20), ScriptOutput.blockSize("s", "512 4K  1M"));
        assertEquals(new BlockSize(1, 512, 0xffffffffL), ScriptOutput.blockSize("s", "1\t512\n4294967295"));
        assertThrows(PluginException.class, () -> ScriptOutput.blockSize("s", "512 4096"));
        assertThrows(PluginException.class, () -> ScriptOutput.blockSize("s", "512 4096 x"));
    }

    @Test
    void threadModelNamesWithDashesOrUnderscoresAnyCase() {
        assertEquals(ThreadModel.PARALLEL, ScriptOutput.threadModel("s", "parallel"));
        assertEquals(ThreadModel.SERIALIZE_REQUESTS, ScriptOutput.threadModel("s", "serialize-requests"));
        assertEquals(ThreadModel.SERIALIZE_ALL_REQUESTS, ScriptOutput.threadModel("s", "SERIALIZE_ALL_REQUESTS"));
        assertEquals(ThreadModel.SERIALIZE_CONNECTIONS, ScriptOutput.threadModel("s", "serialize_connections"));
        // Unrecognised output is ignored: the safe default.
        assertEquals(ThreadModel.SERIALIZE_ALL_REQUESTS, ScriptOutput.threadModel("s", "fast please"));
    }

    @Test
    void fuaAndCacheModes() {
        assertEquals(FuaMode.NONE, ScriptOutput.fuaMode("s", "none"));
        assertEquals(FuaMode.EMULATE, ScriptOutput.fuaMode("s", "Emulate"));
        assertEquals(FuaMode.NATIVE, ScriptOutput.fuaMode("s", "native"));
        assertEquals(CacheMode.NATIVE, ScriptOutput.cacheMode("s", "NATIVE"));
        assertEquals(CacheMode.EMULATE, ScriptOutput.cacheMode("s", "emulate"));
        PluginException e = assertThrows(PluginException.class, () -> ScriptOutput.fuaMode("/m", ""));
        assertEquals("/m: could not parse output from can_fua method: ", e.getMessage());
    }

    private record Added(long offset, long length, int type) {}

    private static List<Added> extents(String out) {
        List<Added> l = new ArrayList<>();
        ScriptOutput.extents("s", b(out), (o, n, t) -> l.add(new Added(o, n, t)));
        return l;
    }

    @Test
    void extentsLinesWithSizesAndTypes() {
        assertEquals(List.of(new Added(0, 1 << 20, Extent.DATA), new Added(1 << 20, 9 << 20, Extent.HOLE | Extent.ZERO)),
                extents("0  1M\n1M 9M  hole,zero\n"));
        assertEquals(List.of(new Added(0, 512, 3), new Added(512, 512, Extent.HOLE), new Added(1024, 512, Extent.ZERO)),
                extents("0 512 3\n512\t512 hole\n1024 512 zero"));
        assertEquals(List.of(new Added(0, 4096, Extent.DATA)), extents("0 4096 data"));
    }

    @Test
    void badExtentsAreErrors() {
        PluginException e = assertThrows(PluginException.class, () -> extents("0\n"));
        assertEquals("s: extents: cannot parse 0", e.getMessage());
        assertThrows(PluginException.class, () -> extents("0 1M\n\n1M 1M"));
        PluginException size = assertThrows(PluginException.class, () -> extents("0 1x"));
        assertEquals("could not parse size: unknown suffix 'x'", size.getMessage());
    }

    @Test
    void exportListFormats() {
        assertEquals(List.of(Export.named("a"), Export.named("b")), ScriptOutput.exports(b("NAMES\na\nb\n")));
        // Any other first line is a name of a NAMES list.
        assertEquals(List.of(Export.named("a"), Export.named("b")), ScriptOutput.exports(b("a\nb")));
        assertEquals(List.of(new Export("a", "first"), new Export("b", "second"), new Export("c", null)),
                ScriptOutput.exports(b("INTERLEAVED\na\nfirst\nb\nsecond\nc\n")));
        assertEquals(List.of(new Export("a", "first"), new Export("b", "second")),
                ScriptOutput.exports(b("NAMES+DESCRIPTIONS\na\nb\nfirst\nsecond\n")));
        assertEquals(List.of(), ScriptOutput.exports(b("")));
        assertEquals(List.of(), ScriptOutput.exports(b("NAMES\n")));
        assertEquals(List.of(Export.named("")), ScriptOutput.exports(b("NAMES\n\n")));
    }

    @Test
    void flagWords() {
        assertEquals("", ScriptOutput.flags(0));
        assertEquals("fua", ScriptOutput.flags(Flags.FUA));
        assertEquals("fua,may_trim,fast", ScriptOutput.flags(Flags.FUA | Flags.MAY_TRIM | Flags.FAST_ZERO));
        assertEquals("req_one", ScriptOutput.flags(Flags.REQ_ONE));
    }

    @Test
    void linesIgnoreAFinalNewlineOnly() {
        assertEquals(List.of("a", "", "b"), ScriptOutput.lines(b("a\n\nb\n")));
        assertTrue(ScriptOutput.lines(b("")).isEmpty());
    }
}
