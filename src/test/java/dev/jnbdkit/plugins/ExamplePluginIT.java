package dev.jnbdkit.plugins;

import dev.jnbdkit.plugins.Jnbdkit.Result;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** examples/java builds into a plugin jar that jnbdkit serves, byte-identical to nbdkit's pattern. */
class ExamplePluginIT {
    @TempDir Path tmp;

    @Test
    void patternExampleBuildsAndServes() throws Exception {
        Jnbdkit.require("nbdcopy");
        Path home = Jnbdkit.home();
        Result build = Jnbdkit.sh("'" + home.resolve("examples/java/build.sh") + "'");
        assertEquals(0, build.exit(), build.out());
        Path jar = home.resolve("examples/java/pattern-plugin.jar");
        Path out = tmp.resolve("pattern.bin");
        Result r = Jnbdkit.captive("nbdinfo \"$uri\" && nbdcopy \"$uri\" '" + out + "'", jar.toString(), "1M");
        assertEquals(0, r.exit(), r.out());
        assertTrue(r.out().contains("is_read_only: true"), r.out());
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(out));
        assertEquals(1 << 20, b.capacity());
        for (int i = 0; i < b.capacity(); i += 8) assertEquals(i, b.getLong(i));
    }
}
