package dev.jnbdkit.plugins.file;

import dev.jnbdkit.it.Clients;
import dev.jnbdkit.it.Cmd;
import dev.jnbdkit.it.Cmd.Result;
import dev.jnbdkit.it.Server;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.RandomAccessFile;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The file plugin on a loop block device (needs root and losetup; skipped otherwise). */
class BlockDeviceIT {
    @TempDir Path tmp;

    @Test
    void servesALoopDevice() throws Exception {
        Clients.require("losetup");
        Clients.require("qemu-io");
        Clients.require("nbdinfo");
        Path backing = tmp.resolve("loop.img");
        try (RandomAccessFile raf = new RandomAccessFile(backing.toFile(), "rw")) {
            raf.setLength(32 << 20);
        }
        Result attach = Cmd.sh("losetup -f --show '" + backing + "'").mergeOutput().run();
        assertTrue(attach.exit() == 0 && attach.out().startsWith("/dev/loop"), "cannot attach a loop device: " + attach.out());
        String dev = attach.out().strip();
        try {
            Result r = Server.captive("nbdinfo \"$uri\" && qemu-io -f raw -c 'write -P 0x33 1M 1M' -c 'read -P 0x33 1M 1M' "
                    + "-c 'write -z 1M 64k' -c 'read -P 0 1M 64k' -c 'discard 4M 1M' -c 'flush' \"$uri\"", "file", dev).run();
            assertEquals(0, r.exit(), r.out());
            assertTrue(r.out().contains("export-size: 33554432"), r.out());
            assertTrue(r.out().contains("is_read_only: false"), r.out());
            assertFalse(r.out().contains("Pattern verification failed"), r.out());
        } finally {
            Cmd.sh("losetup -d " + dev).mergeOutput().run();
        }
    }
}
