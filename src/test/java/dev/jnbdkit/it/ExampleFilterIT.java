package dev.jnbdkit.it;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * examples/java builds a filter jar ({@code XorFilter}, docs/java-filters.md) that the server
 * loads with {@code --filter=./xor-filter.jar}: the plugin below stores the data XORed with the
 * key, the client sees its own data, two of them cancel out, zeroing is emulated through the
 * filter, and a bad key is refused at start with the filter's message.
 */
class ExampleFilterIT extends ItBase {
    static Path jar;

    @BeforeAll
    static void build() {
        Path home = Server.home();
        Cmd.of("bash", home.resolve("examples/java/build.sh").toString()).inheritPath().ok();
        jar = home.resolve("examples/java/xor-filter.jar");
        assertTrue(Files.isRegularFile(jar));
    }

    @Test
    void theLayerBelowHoldsScrambledDataAndTheClientItsOwn() throws IOException {
        Path data = randomFile("data", 1 << 20, 7);
        Path backing = file("backing", 1 << 20);
        Server s = unix("--filter=" + jar, "file", backing.toString(), "xor-key=0x33");
        Cmd.of("nbdcopy", data.toString(), s.uri()).ok();
        Path back = tmp.resolve("back");
        Cmd.of("nbdcopy", s.uri(), back.toString()).ok();
        assertFilesEqual(data, back);
        byte[] plain = Files.readAllBytes(data);
        byte[] stored = Files.readAllBytes(backing);
        for (int i = 0; i < plain.length; i++) plain[i] ^= 0x33;
        assertArrayEquals(plain, stored, "the file plugin holds the data XORed with the key");

        // Zeroing is emulated through the filter's pwrite: the client reads zeros, the file holds the key.
        Cmd.of("qemu-io", "-f", "raw", "-c", "write -z 4k 4k", "-c", "read -P 0 4k 4k", s.uri()).ok();
        assertEquals(0x33, Files.readAllBytes(backing)[4096 + 100]);
        String json = Cmd.of("nbdinfo", "--json", s.uri()).ok().out();
        assertTrue(json.contains("\"can_trim\": false"), json);
        s.stop();
    }

    @Test
    void twoOfThemCancelOut() throws IOException {
        Path data = randomFile("data", 256 << 10, 8);
        Path backing = file("backing", 256 << 10);
        Server s = unix("--filter=" + jar, "--filter=" + jar, "file", backing.toString());
        Cmd.of("nbdcopy", data.toString(), s.uri()).ok();
        s.stop();
        assertFilesEqual(data, backing);
    }

    @Test
    void helpVersionAndBadParameters() {
        Cmd.Result help = runServer("--filter=" + jar, "memory", "--help").ok();
        assertTrue(help.out().contains("filter: xor (example XOR filter)\n(" + jar + ")\nxor-key=<BYTE>"), help.out());
        assertTrue(help.out().indexOf("filter: xor") < help.out().indexOf("plugin: memory"), help.out());
        Cmd.Result version = runServer("--filter=" + jar, "memory", "--version").ok();
        assertTrue(version.out().contains("\nxor "), version.out());
        Cmd.Result bad = runServer("--filter=" + jar, "memory", "1M", "xor-key=nine").exit(1);
        assertTrue(bad.err().contains("error: xor-key: expected a byte (0..255, decimal or 0x..), got 'nine'"), bad.err());
    }
}
