package dev.jnbdkit.server.tls;

import dev.jnbdkit.server.Transport;
import org.bouncycastle.tls.PSKTlsClient;
import org.bouncycastle.tls.ProtocolVersion;
import org.bouncycastle.tls.TlsClientProtocol;
import org.bouncycastle.tls.crypto.impl.jcajce.JcaTlsCryptoProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ServerTlsTest {
    @TempDir
    Path dir;

    @Test
    void pskFileLinesAreUsernameColonHexkey() throws Exception {
        Path f = dir.resolve("k.psk");
        Files.writeString(f, "alice:00ff10\n\nbob:ABCD\r\nalice:1111\n");
        var keys = PskFile.read(f);
        assertArrayEquals(new byte[] {0, (byte) 0xff, 0x10}, keys.get("alice"), "first line for a user wins");
        assertArrayEquals(new byte[] {(byte) 0xab, (byte) 0xcd}, keys.get("bob"));
        assertNull(PskFile.lookup(f, "carol"));
        Files.writeString(f, "alice:xyz\n");
        assertTrue(assertThrows(IOException.class, () -> PskFile.read(f)).getMessage().contains("not hexadecimal"));
        Files.writeString(f, "no colon here\n");
        assertThrows(IOException.class, () -> PskFile.read(f));
        Files.writeString(f, "\n");
        assertThrows(IOException.class, () -> PskFile.read(f));
    }

    @Test
    void offIsOffWhateverElseIsGiven() throws Exception {
        assertNull(ServerTls.configure("off", null, "/nonexistent.psk", true));
    }

    @Test
    void missingPskFileIsFatalEvenWithoutTlsOption() {
        var e = assertThrows(ServerTls.SetupException.class,
                () -> ServerTls.configure(null, null, dir.resolve("none.psk").toString(), false));
        assertTrue(e.getMessage().endsWith("No such file or directory"), e.getMessage());
    }

    @Test
    void requireWithoutCertificatesIsFatalAndOnFallsBackToOff() throws Exception {
        String none = dir.resolve("none").toString();
        var e = assertThrows(ServerTls.SetupException.class, () -> ServerTls.configure("require", none, null, false));
        assertTrue(e.getMessage().startsWith("--tls=require but could not load TLS certificates."), e.getMessage());
        assertNull(ServerTls.configure("on", none, null, false));
        assertNull(ServerTls.configure(null, none, null, false));
    }

    @Test
    void pskAloneIsOnNotRequired() throws Exception {
        Path f = dir.resolve("k.psk");
        Files.writeString(f, "alice:00112233445566778899aabbccddeeff\n");
        ServerTls t = ServerTls.configure(null, null, f.toString(), false);
        assertEquals(ServerTls.Mode.ON, t.mode());
        assertEquals(1, t.captiveValue());
        assertEquals(2, ServerTls.configure("require", null, f.toString(), false).captiveValue());
    }

    /** GnuTLS clients negotiate TLS 1.3 (tested with nbdinfo); TLS 1.2 ECDHE-PSK is checked here with BC's client. */
    @Test
    void tls12PskHandshakeAndDataBothWays() throws Exception {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        Path f = dir.resolve("k.psk");
        Files.writeString(f, "alice:" + HexFormat.of().formatHex(key) + "\n");
        ServerTls tls = ServerTls.configure("require", null, f.toString(), false);

        Path sock = dir.resolve("s");
        try (ServerSocketChannel ss = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            ss.bind(UnixDomainSocketAddress.of(sock));
            CompletableFuture<String> server = CompletableFuture.supplyAsync(() -> {
                try (SocketChannel c = ss.accept(); Transport t = tls.startTls(new Plain(c))) {
                    ByteBuffer in = ByteBuffer.allocateDirect(5);
                    assertTrue(t.readFully(in));
                    t.writeFully(ByteBuffer.wrap("pong:".getBytes(StandardCharsets.US_ASCII)), in.flip());
                    return "ok";
                } catch (IOException e) {
                    return e.toString();
                }
            });
            try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                c.connect(UnixDomainSocketAddress.of(sock));
                var crypto = new JcaTlsCryptoProvider().create(new SecureRandom());
                TlsClientProtocol client = new TlsClientProtocol(Channels.newInputStream(c), Channels.newOutputStream(c));
                client.connect(new PSKTlsClient(crypto, "alice".getBytes(StandardCharsets.UTF_8), key) {
                    @Override
                    protected ProtocolVersion[] getSupportedVersions() { return ProtocolVersion.TLSv12.only(); }
                });
                client.getOutputStream().write("hello".getBytes(StandardCharsets.US_ASCII));
                byte[] back = client.getInputStream().readNBytes(10);
                assertEquals("pong:hello", new String(back, StandardCharsets.US_ASCII));
                try {
                    client.close();
                } catch (IOException ignored) {
                    // the server may have closed first
                }
            }
            assertEquals("ok", server.get(30, TimeUnit.SECONDS));
        }
    }

    /** A socket as a Transport (the server package's own is not public). */
    private record Plain(SocketChannel c) implements Transport {
        @Override public int read(ByteBuffer dst) throws IOException { return c.read(dst); }

        @Override
        public void writeFully(ByteBuffer... srcs) throws IOException {
            for (ByteBuffer b : srcs) while (b.hasRemaining()) c.write(b);
        }

        @Override public void shutdownInput() {}

        @Override public String peer() { return "test"; }

        @Override public void close() throws IOException { c.close(); }
    }
}
