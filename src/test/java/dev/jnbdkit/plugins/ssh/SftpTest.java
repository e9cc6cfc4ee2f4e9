package dev.jnbdkit.plugins.ssh;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SftpTest {
    private static byte[] random(int n) {
        byte[] b = new byte[n];
        new Random(n).nextBytes(b);
        return b;
    }

    private static Sftp client(FakeSftpServer server) throws IOException {
        return Sftp.start(server.fromServer, server.toServer);
    }

    @Test
    void readsLargeRangesInPiecesAndCopesWithShortReads() throws IOException {
        byte[] data = random(1 << 20);
        for (int maxRead : new int[] {1 << 20, 10_000, 1}) {
            FakeSftpServer server = new FakeSftpServer(data, maxRead);
            Sftp s = client(server);
            byte[] h = s.open(FakeSftpServer.NAME, Sftp.FXF_READ, -1);
            try (Arena a = Arena.ofConfined()) {
                int len = maxRead == 1 ? 5000 : 700_007;
                MemorySegment dst = a.allocate(len);
                s.read(h, 3, dst);
                assertArrayEquals(Arrays.copyOfRange(data, 3, 3 + len), dst.toArray(ValueLayout.JAVA_BYTE), "maxRead " + maxRead);
            }
        }
    }

    @Test
    void readingPastTheEndIsAnEofStatus() throws IOException {
        FakeSftpServer server = new FakeSftpServer(random(100_000), 1 << 20);
        Sftp s = client(server);
        byte[] h = s.open(FakeSftpServer.NAME, Sftp.FXF_READ, -1);
        try (Arena a = Arena.ofConfined()) {
            SftpStatusException e = assertThrows(SftpStatusException.class, () -> s.read(h, 90_000, a.allocate(20_000)));
            assertEquals(SftpStatusException.EOF, e.code());
        }
    }

    @Test
    void writesLandAtTheirOffset() throws IOException {
        byte[] data = new byte[300_000];
        FakeSftpServer server = new FakeSftpServer(data, 1 << 20);
        Sftp s = client(server);
        byte[] h = s.open(FakeSftpServer.NAME, Sftp.FXF_READ | Sftp.FXF_WRITE, -1);
        byte[] chunk = random(200_001);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment src = a.allocate(chunk.length);
            MemorySegment.copy(chunk, 0, src, ValueLayout.JAVA_BYTE, 0, chunk.length);
            s.write(h, 5, src);
        }
        assertArrayEquals(chunk, Arrays.copyOfRange(server.file, 5, 5 + chunk.length));
        assertEquals(0, server.file[4]);
        assertEquals(0, server.file[5 + chunk.length]);
        assertEquals((200_001 + 32 * 1024 - 1) / (32 * 1024), server.writes);
    }

    @Test
    void sizeTruncateFsyncAndExtensions() throws IOException {
        FakeSftpServer server = new FakeSftpServer(new byte[1234], 1 << 20);
        Sftp s = client(server);
        assertTrue(s.hasExtension("fsync@openssh.com", "1"));
        assertFalse(s.hasExtension("fsync@openssh.com", "2"));
        byte[] h = s.open(FakeSftpServer.NAME, Sftp.FXF_WRITE, 0600);
        assertEquals(1234, s.size(h));
        s.truncate(h, 1 << 20);
        assertEquals(1 << 20, s.size(h));
        s.fsync(h);
        assertEquals(1, server.fsyncs);
        s.close(h);
    }

    @Test
    void aMissingFileIsNoSuchFile() throws IOException {
        Sftp s = client(new FakeSftpServer(new byte[1], 1 << 20));
        SftpStatusException e = assertThrows(SftpStatusException.class, () -> s.open("missing", Sftp.FXF_READ, -1));
        assertEquals("SFTP server: No such file", e.describe());
        assertEquals(dev.jnbdkit.spi.Errno.ENOENT, e.errno());
    }
}
