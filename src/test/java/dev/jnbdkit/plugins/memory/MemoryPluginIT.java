package dev.jnbdkit.plugins.memory;

import dev.jnbdkit.it.Clients;
import dev.jnbdkit.it.Cmd;
import dev.jnbdkit.it.Cmd.Result;
import dev.jnbdkit.it.Server;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/** The memory and null plugins through real clients. */
class MemoryPluginIT {
    @TempDir Path tmp;

    @Test
    void copyInAndOutAndMapTheHoles() throws Exception {
        Clients.require("nbdcopy");
        Clients.require("qemu-img");
        Path in = tmp.resolve("in.img");
        byte[] data = new byte[4 << 20];
        new Random(7).nextBytes(data);
        Files.write(in, data);
        Path out = tmp.resolve("out.img");
        Result r = Server.captive("nbdcopy '" + in + "' \"$uri\" && nbdcopy \"$uri\" '" + out + "' "
                + "&& qemu-img map --output=json -f raw \"$uri\"", "memory", "64M").run();
        assertEquals(0, r.exit(), r.out());
        byte[] back = Files.readAllBytes(out);
        assertEquals(64 << 20, back.length);
        assertArrayEquals(data, java.util.Arrays.copyOf(back, data.length));
        assertTrue(r.out().contains("\"start\": 0, \"length\": 4194304, \"depth\": 0, \"present\": true, "
                + "\"zero\": false, \"data\": true"), r.out());
        assertTrue(r.out().contains("\"start\": 4194304, \"length\": 62914560, \"depth\": 0, \"present\": true, "
                + "\"zero\": true, \"data\": false"), r.out());
    }

    @Test
    void hugeDiskAndTrim() throws Exception {
        Clients.require("qemu-io");
        Result r = Server.captive("qemu-io -f raw -c 'write -P 0x11 1T 1M' -c 'read -P 0x11 1T 1M' "
                + "-c 'discard 1T 1M' -c 'read -P 0 1T 1M' -c 'write -z 0 1M' \"$uri\"", "memory", "size=4T").run();
        assertEquals(0, r.exit(), r.out());
        assertFalse(r.out().contains("Pattern verification failed"), r.out());
    }

    @Test
    void nullPluginReadsZeros() throws Exception {
        Clients.require("nbdinfo");
        Result r = Server.captive("nbdinfo --map \"$uri\"", "null", "1G").run();
        assertEquals(0, r.exit(), r.out());
        assertTrue(r.out().matches("(?s)\\s*0\\s+1073741824\\s+3\\s+hole,zero\\s*"), r.out());
    }
}
