package dev.jnbdkit.cli;

import dev.jnbdkit.log.Log;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class VersionInfoTest {

    @Test
    void versionLineStartsWithNameAndAnNbdkitStyleVersion() {
        String line = VersionInfo.versionLine();
        assertFalse(line.contains("\n"));
        String[] words = line.split(" ");
        assertEquals(Log.program(), words[0]);
        assertTrue(words[1].matches("\\d+\\.\\d+\\.\\d+"), words[1]);
        assertEquals(VersionInfo.NBDKIT_COMPAT_VERSION, words[1]);
        assertTrue(line.contains("jnbdkit " + VersionInfo.VERSION));
    }

    @Test
    void dumpConfigHasNbdkitsKeysSortedAndConsistent() {
        Map<String, String> c = VersionInfo.config();
        for (String k : List.of("binary", "bindir", "exit_with_parent", "host_cpu", "host_os", "libdir", "mandir",
                "name", "plugindir", "root_tls_certificates_dir", "sbindir", "sysconfdir", "tls", "version",
                "version_major", "version_minor"))
            assertTrue(c.containsKey(k), k);
        List<String> keys = List.copyOf(c.keySet());
        assertEquals(keys.stream().sorted().toList(), keys, "nbdkit prints its keys in alphabetical order");
        assertEquals("yes", c.get("tls"));
        assertEquals(c.get("version_major") + "." + c.get("version_minor") + ".0", c.get("version"));
        assertEquals(VersionInfo.VERSION, c.get("jnbdkit_version"));
        assertTrue(Integer.parseInt(c.get("version_minor")) >= 32);
        for (Map.Entry<String, String> e : c.entrySet()) {
            assertFalse(e.getValue().isEmpty(), e.getKey());
            assertFalse(e.getValue().contains("\n"), e.getKey());
            if (e.getKey().endsWith("dir") || e.getKey().equals("binary"))
                assertTrue(e.getValue().startsWith("/"), e.getKey() + " is absolute");
        }
    }

    @Test
    void hostNames() {
        assertFalse(VersionInfo.hostCpu().isEmpty());
        assertFalse(VersionInfo.hostOs().isEmpty());
        if (System.getProperty("os.name").equals("Linux")) assertEquals("linux-gnu", VersionInfo.hostOs());
    }
}
