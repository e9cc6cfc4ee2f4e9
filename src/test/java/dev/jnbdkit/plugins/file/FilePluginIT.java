package dev.jnbdkit.plugins.file;

import dev.jnbdkit.it.Clients;
import dev.jnbdkit.it.Cmd;
import dev.jnbdkit.it.Cmd.Result;
import dev.jnbdkit.it.Server;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The file plugin through real clients: qemu-img, qemu-io, nbdinfo, nbdcopy. */
class FilePluginIT {
    @TempDir Path tmp;

    private Path sparseWithData() throws Exception {
        Path f = tmp.resolve("sparse.img");
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.setLength(64 << 20);
            byte[] data = new byte[1 << 20];
            new Random(42).nextBytes(data);
            raf.seek(8 << 20);
            raf.write(data);
            raf.seek(40 << 20);
            raf.write(data, 0, 4096);
        }
        return f;
    }

    @Test
    void qemuImgMapOfASparseFileMatchesTheFile() throws Exception {
        Clients.require("qemu-img");
        Path f = sparseWithData();
        Result local = Cmd.sh("qemu-img map --output=json -f raw '" + f + "'").mergeOutput().run();
        assertEquals(0, local.exit(), local.out());
        Result remote = Server.captive("qemu-img map --output=json -f raw \"$uri\"", "file", f.toString()).run();
        assertEquals(0, remote.exit(), remote.out());
        assertEquals(local.out(), remote.out());
        assertTrue(remote.out().contains("\"start\": 8388608, \"length\": 1048576"), remote.out());
    }

    @Test
    void trimPunchesHolesAndWritesLand() throws Exception {
        Clients.require("qemu-io");
        Path f = tmp.resolve("full.img");
        byte[] ones = new byte[8 << 20];
        Arrays.fill(ones, (byte) 1);
        Files.write(f, ones);
        long before = blocks(f);
        Result r = Server.captive("qemu-io -f raw -c 'discard 1M 4M' -c 'write -P 0x55 6M 64k' -c 'flush' \"$uri\"",
                "file", f.toString()).run();
        assertEquals(0, r.exit(), r.out());
        byte[] now = Files.readAllBytes(f);
        assertEquals(8 << 20, now.length);
        for (int i = 1 << 20; i < 5 << 20; i++) assertEquals(0, now[i], "at " + i);
        for (int i = 6 << 20; i < (6 << 20) + 65536; i++) assertEquals(0x55, now[i], "at " + i);
        assertEquals(1, now[0]);
        assertEquals(1, now[(5 << 20) + 1]);
        long after = blocks(f);
        assertTrue(after <= before - (4 << 20) / 512, "blocks before " + before + ", after " + after);
    }

    @Test
    void readOnlyFileGivesReadOnlyExport() throws Exception {
        Clients.require("nbdinfo");
        Path f = sparseWithData();
        boolean root = "root".equals(System.getProperty("user.name"));
        if (root) {
            assertTrue(Cmd.sh("chattr +i '" + f + "'").mergeOutput().run().exit() == 0, "chattr +i not possible");
        } else {
            assertTrue(f.toFile().setWritable(false, false));
        }
        try {
            Result r = Server.captive("nbdinfo \"$uri\"", "file", f.toString()).run();
            assertEquals(0, r.exit(), r.out());
            assertTrue(r.out().contains("is_read_only: true"), r.out());
        } finally {
            if (root) Cmd.sh("chattr -i '" + f + "'").mergeOutput().run();
        }
        Result rw = Server.captive("nbdinfo \"$uri\"", "file", f.toString()).run();
        assertTrue(rw.out().contains("is_read_only: false"), rw.out());
        Result ro = Server.captive("nbdinfo \"$uri\"", "-r", "file", f.toString()).run();
        assertTrue(ro.out().contains("is_read_only: true"), ro.out());
    }

    @Test
    void nbdcopyRoundTrip() throws Exception {
        Clients.require("nbdcopy");
        Path f = sparseWithData();
        Path out = tmp.resolve("copy.img");
        Result r = Server.captive("nbdcopy \"$uri\" '" + out + "'", "file", f.toString()).run();
        assertEquals(0, r.exit(), r.out());
        assertArrayEquals(Files.readAllBytes(f), Files.readAllBytes(out));
    }

    private static long blocks(Path f) throws Exception {
        Result r = Cmd.sh("stat -c %b '" + f + "'").mergeOutput().run();
        return Long.parseLong(r.out().strip());
    }
}
