package dev.jnbdkit.plugins;

import dev.jnbdkit.it.Clients;
import dev.jnbdkit.it.Cmd;
import dev.jnbdkit.it.Cmd.Result;
import dev.jnbdkit.it.Server;
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
        Clients.require("nbdcopy");
        Path home = Server.home();
        Result build = Cmd.sh("'" + home.resolve("examples/java/build.sh") + "'").mergeOutput().run();
        assertEquals(0, build.exit(), build.out());
        Path jar = home.resolve("examples/java/pattern-plugin.jar");
        Path out = tmp.resolve("pattern.bin");
        Result r = Server.captive("nbdinfo \"$uri\" && nbdcopy \"$uri\" '" + out + "'", jar.toString(), "1M").run();
        assertEquals(0, r.exit(), r.out());
        assertTrue(r.out().contains("is_read_only: true"), r.out());
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(out));
        assertEquals(1 << 20, b.capacity());
        for (int i = 0; i < b.capacity(); i += 8) assertEquals(i, b.getLong(i));
    }
}
