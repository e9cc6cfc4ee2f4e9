package dev.jnbdkit.cli;

import dev.jnbdkit.cli.PluginArgs.KeyValue;
import dev.jnbdkit.log.Log;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class PluginArgsTest {

    static KeyValue kv(String k, String v) { return new KeyValue(k, v); }

    @Test
    void keyValueSplitsAtTheFirstEquals() throws Exception {
        assertEquals(List.of(kv("size", "1G"), kv("a.b-c_d", "v=w"), kv("empty", "")),
                PluginArgs.parse(List.of("size=1G", "a.b-c_d=v=w", "empty="), "size"));
    }

    @Test
    void everyBareWordGoesToTheMagicKey() throws Exception {
        assertEquals(List.of(kv("file", "a.img"), kv("cache", "none"), kv("file", "b.img")),
                PluginArgs.parse(List.of("a.img", "cache=none", "b.img"), "file"));
    }

    @Test
    void withoutMagicKeyTheFirstBareWordIsTheScript() throws Exception {
        assertEquals(List.of(kv("script", "./x.py"), kv("k", "v")),
                PluginArgs.parse(List.of("./x.py", "k=v"), null));
    }

    @Test
    void withoutMagicKeyALaterBareWordIsAnError() {
        UsageException e = assertThrows(UsageException.class,
                () -> PluginArgs.parse(List.of("./x.py", "foo"), null));
        assertEquals(Log.program() + ": expecting key=value on the command line but got: foo", e.getMessage());
        assertFalse(e.showUsage());
        assertEquals(1, e.exitStatus());
    }

    @Test
    void theScriptRuleIsAboutPositionNotAboutTheFirstBareWord() {
        // nbdkit python a=b ./x.py: only the very first argument may be the bare script
        UsageException e = assertThrows(UsageException.class,
                () -> PluginArgs.parse(List.of("a=b", "./x.py"), null));
        assertTrue(e.getMessage().endsWith("but got: ./x.py"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"=v", "1a=v", "a b=c", "_a=v", "-a=v", ".a=v", "a/b=c", "é=v", "a:b=c"})
    void aBadKeyMakesTheWordBare(String word) throws Exception {
        assertEquals(List.of(kv("file", word)), PluginArgs.parse(List.of(word), "file"));
        assertEquals(List.of(kv("script", word)), PluginArgs.parse(List.of(word), null));
        UsageException e = assertThrows(UsageException.class,
                () -> PluginArgs.parse(List.of("script=x", word), null));
        assertTrue(e.getMessage().endsWith("but got: " + word));
    }

    @Test
    void configKeys() {
        for (String k : List.of("a", "Z", "a1", "a.b", "a_b", "a-b", "A.9_-z"))
            assertTrue(PluginArgs.isConfigKey(k), k);
        for (String k : List.of("", "1", "_a", "-a", ".a", "a b", "a=b", "a/b", "ä"))
            assertFalse(PluginArgs.isConfigKey(k), k);
    }

    @Test
    void interpretOneAtATime() throws Exception {
        assertEquals(kv("script", "x"), PluginArgs.interpret("x", 0, null));
        assertThrows(UsageException.class, () -> PluginArgs.interpret("x", 1, null));
        assertEquals(kv("size", "x"), PluginArgs.interpret("x", 5, "size"));
        assertEquals("k=v", PluginArgs.interpret("k=v", 3, null).toString());
    }

    @Test
    void emptyAndDashWords() throws Exception {
        assertEquals(List.of(kv("script", "-")), PluginArgs.parse(List.of("-"), null));
        assertEquals(List.of(kv("size", "")), PluginArgs.parse(List.of(""), "size"));
        assertEquals(List.of(), PluginArgs.parse(List.of(), null));
    }
}
