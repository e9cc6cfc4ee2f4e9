package dev.jnbdkit.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Plugin scripts in a plugin directory: the shebang's language, the search, the rewritten command line. */
class PluginScriptTest {
    @TempDir Path tmp;

    @Test
    void theShebangNamesTheLanguagePlugin() {
        assertEquals("python", PluginScript.language("#!/usr/sbin/nbdkit python"));
        assertEquals("python", PluginScript.language("#!/usr/bin/nbdkit python"));     // Debian's S3 script
        assertEquals("python", PluginScript.language("#! /usr/bin/nbdkit\tpython  "));
        assertEquals("sh", PluginScript.language("#!/opt/jnbdkit/bin/jnbdkit sh"));
        assertEquals("perl", PluginScript.language("#!/usr/sbin/nbdkit perl"));       // refused later, by name
        assertEquals("python", PluginScript.language("#!/usr/bin/env nbdkit python"));
        assertEquals("python", PluginScript.language("#!/usr/bin/env -S nbdkit python"));
    }

    @Test
    void otherFirstLinesNameNone() {
        assertNull(PluginScript.language("#!/usr/bin/python3"));
        assertNull(PluginScript.language("#!/bin/sh -e"));
        assertNull(PluginScript.language("#!/usr/sbin/nbdkit"));
        assertNull(PluginScript.language("#!/usr/sbin/nbdkit -v python"));
        assertNull(PluginScript.language("#!/usr/sbin/nbdkit ./python.so"));
        assertNull(PluginScript.language("#!/usr/bin/env python3"));
        assertNull(PluginScript.language("import nbdkit"));
        assertNull(PluginScript.language(""));
    }

    @Test
    void shortNamesHaveNoDotOrSlash() {
        assertTrue(PluginScript.isShortName("S3"));
        assertTrue(PluginScript.isShortName("sparse-random"));
        assertFalse(PluginScript.isShortName("./S3"));
        assertFalse(PluginScript.isShortName("plugin.jar"));
    }

    private Path script(Path dir, String name, String firstLine, String perms) throws Exception {
        Files.createDirectories(dir);
        Path p = dir.resolve("nbdkit-" + name + "-plugin");
        Files.writeString(p, firstLine + "\nAPI_VERSION = 2\n");
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(perms));
        return p;
    }

    @Test
    void theFirstDirectoryHoldingAnExecutableScriptWins() throws Exception {
        Path ours = tmp.resolve("ours"), theirs = tmp.resolve("theirs");
        Path t = script(theirs, "disk", "#!/usr/sbin/nbdkit python", "rwxr-xr-x");
        assertEquals(Optional.of(t), PluginScript.find("disk", List.of(ours, theirs)));
        Path o = script(ours, "disk", "#!/usr/sbin/nbdkit python", "rwxr-xr-x");
        assertEquals(Optional.of(o), PluginScript.find("disk", List.of(ours, theirs)));
        // not executable: nbdkit does not run it either
        script(ours, "plain", "#!/usr/sbin/nbdkit python", "rw-r--r--");
        assertEquals(Optional.empty(), PluginScript.find("plain", List.of(ours, theirs)));
        assertEquals(Optional.empty(), PluginScript.find("none", List.of(ours, theirs)));
    }

    @Test
    void aScriptForALanguageJnbdkitLacksIsRefusedByName() throws Exception {
        Path p = script(tmp, "foo", "#!/usr/sbin/nbdkit perl", "rwxr-xr-x");
        Main.Fatal e = assertThrows(Main.Fatal.class, () -> PluginScript.of("foo", p));
        assertTrue(e.getMessage().contains("written for nbdkit's perl plugin, which jnbdkit does not have"), e.getMessage());
        Path q = script(tmp, "bar", "#!/usr/bin/python3", "rwxr-xr-x");
        e = assertThrows(Main.Fatal.class, () -> PluginScript.of("bar", q));
        assertTrue(e.getMessage().contains("not a plugin script"), e.getMessage());
        assertEquals(new PluginScript(p, "python"), PluginScript.of("foo", script(tmp, "foo", "#!/usr/sbin/nbdkit python", "rwxr-xr-x")));
        // the sh plugin would execute it through its shebang: nbdkit again, without end
        Path r = script(tmp, "baz", "#!/usr/sbin/nbdkit sh", "rwxr-xr-x");
        e = assertThrows(Main.Fatal.class, () -> PluginScript.of("baz", r));
        assertTrue(e.getMessage().contains("executes its script through the shebang line"), e.getMessage());
    }

    @Test
    void builtInNamesAndPathsAreNotLookedUp() throws Exception {
        Options memory = CommandLine.parse(new String[] {"-f", "memory", "1M"}, false, false);
        assertSame(memory, PluginScript.resolve(memory));
        Options path = CommandLine.parse(new String[] {"-f", "./nbdkit-x-plugin", "a=b"}, false, false);
        assertSame(path, PluginScript.resolve(path));
    }

    @Test
    void withPluginKeepsEveryOtherOption() throws Exception {
        Options o = CommandLine.parse(new String[] {"-f", "-r", "--filter=cow", "S3", "bucket=b", "-U", "/tmp/s"},
                false, false);
        Options w = o.withPlugin("python", List.of("/p/nbdkit-S3-plugin", "bucket=b"));
        assertEquals("python", w.plugin());
        assertEquals(List.of("/p/nbdkit-S3-plugin", "bucket=b"), w.pluginArgs());
        assertEquals(o.filters(), w.filters());
        assertEquals(o.listen(), w.listen());
        assertTrue(w.readonly());
    }
}
