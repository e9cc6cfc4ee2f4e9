package example;

import dev.jnbdkit.NbdServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The embedded server, read by a real NBD client (libnbd's nbdinfo and nbdcopy). */
class EmbeddedTest {
    @TempDir Path tmp;

    private static String run(String... argv) throws Exception {
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), String.join(" ", argv) + " timed out");
        assertEquals(0, p.exitValue(), String.join(" ", argv) + ":\n" + out);
        return out;
    }

    @Test
    void aRealClientReadsThePluginOfTheProgram() throws Exception {
        Path socket = tmp.resolve("sock");
        Path copy = tmp.resolve("copy");
        try (NbdServer server = Embedded.serve(socket, 1 << 20)) {
            assertEquals("nbd+unix:///?socket=" + socket, server.uri());
            String info = run("nbdinfo", server.uri());
            assertTrue(info.contains("export-size: 1048576"), info);
            assertTrue(info.contains("is_read_only: true"), info);
            run("nbdcopy", server.uri(), copy.toString());
        }
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(copy));
        assertEquals(1 << 20, b.capacity());
        for (int i = 0; i < b.capacity(); i += 8) assertEquals(i, b.getLong(i), "word at " + i);
        assertTrue(!Files.exists(socket) || !socketAccepts(socket), "closed: nothing listens any more");
    }

    /** A listening channel the program made (as it would pass System.inheritedChannel()). */
    @Test
    void aChannelOfTheProgramIsServedAndClosedWithTheServer() throws Exception {
        var channel = java.nio.channels.ServerSocketChannel.open();
        channel.bind(new java.net.InetSocketAddress("127.0.0.1", 0));
        int port = ((java.net.InetSocketAddress) channel.getLocalAddress()).getPort();
        try (NbdServer server = NbdServer.builder().plugin("memory").config("size", "3M").channel(channel).start()) {
            assertEquals("nbd://127.0.0.1:" + port + "/", server.uri());
            assertEquals(port, server.port());
            assertEquals("3145728", run("nbdinfo", "--size", server.uri()).strip());
        }
        assertTrue(!channel.isOpen(), "the server closed the channel it was given");
    }

    private static boolean socketAccepts(Path socket) {
        try (var c = java.nio.channels.SocketChannel.open(java.net.UnixDomainSocketAddress.of(socket))) {
            return true;
        } catch (Exception e) {
            return false;
        }
    }
}
