package dev.jnbdkit.it;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The core options nbdkit 1.44 added that scripts use (../shared/reference/nbdkit-1.44/nbdkit.pod):
 * --print-uri, --no-mc, --log=/path, --timeout, --keepalive. Debian's nbdkit 1.32 has none of
 * them, so there is no differential part.
 */
class Nbdkit144OptionsIT extends ItBase {

    @Test
    void printUri() {
        Server s = unix("--print-uri", "memory", "1M");
        String uri = s.uri();
        s.stop();
        assertEquals(uri + "\nShell-quoted URI: \"" + uri + "\"\nCommand to query the NBD endpoint:\n  nbdinfo \""
                + uri + "\"\n", s.stdout());
    }

    @Test
    void noMetaContextsMeansNoBlockStatus() {
        Server s = unix("--no-mc", "memory", "1M");
        python("""
                import sys, nbd
                h = nbd.NBD()
                h.add_meta_context("base:allocation")
                h.connect_uri(sys.argv[1])
                assert not h.can_meta_context("base:allocation")
                assert h.pread(512, 0) == bytes(512)
                print("ok")
                """, s.uri()).ok();
        Server plain = Server.unix(sock("plain"), "memory", "1M");
        // the same client sees the context without --no-mc (the check above could fail)
        python("""
                import sys, nbd
                h = nbd.NBD()
                h.add_meta_context("base:allocation")
                h.connect_uri(sys.argv[1])
                assert h.can_meta_context("base:allocation")
                """, plain.uri()).ok();
    }

    @Test
    void logToAFileKeepsErrorsOffStderr() throws IOException {
        Path log = tmp.resolve("server.log");
        Server s = unix("--log=" + log, "memory", "1M");
        python(resource("prelude.py") + "\nexpect_err('EINVAL', lambda: h.pread(512, 1 << 20))\n", s.uri()).ok();
        s.stop();
        String text = Files.readString(log);
        assertTrue(text.contains("error: invalid request: NBD_CMD_READ: offset and count are out of range"), text);
        assertFalse(s.stderr().contains("invalid request"), s.stderr());
    }

    @Test
    void timeoutDropsASilentClient() throws IOException {
        Server s = unix("--timeout=1", "memory", "1M");
        try (SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(sock()))) {
            ByteBuffer b = ByteBuffer.allocate(4096);
            long start = System.nanoTime();
            int n;
            do {
                b.clear();
                n = c.read(b); // the greeting, then end of stream when the server gives up
            } while (n > 0);
            long seconds = (System.nanoTime() - start) / 1_000_000_000L;
            assertEquals(-1, n);
            assertTrue(seconds < 30, "dropped after " + seconds + " s");
        }
        assertTrue(s.stderr().contains("did not choose an export within"), s.stderr());
        s.stop();
    }

    @Test
    void keepaliveOnTcpClients() throws Exception {
        Server s = tcp("--keepalive", "memory", "1M");
        Server plain = tcp("memory", "1M");
        String hold = """
                import sys, time, subprocess, nbd
                h = nbd.NBD(); h.connect_uri(sys.argv[1])
                out = subprocess.run(["ss", "-tnoH", "state", "established", "( sport = :" + sys.argv[2] + " )"],
                                     capture_output=True, text=True).stdout
                print(out)
                """;
        String with = python(hold, s.uri(), Integer.toString(s.port())).ok().out();
        String without = python(hold, plain.uri(), Integer.toString(plain.port())).ok().out();
        assertTrue(with.contains("keepalive"), with);
        assertFalse(without.contains("keepalive"), without);
    }
}
