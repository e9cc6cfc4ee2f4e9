package dev.jnbdkit.backend;

import dev.jnbdkit.spi.Plugin;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/**
 * The SPI is compiled only in its own module (spi/, the jnbdkit-spi artifact): a file of package
 * dev.jnbdkit.spi under the server's src/main/java would end up in the server's jar, out of
 * SpiIsolationTest's sight.
 */
class SpiArtifactTest {
    @Test
    void noSpiClassIsCompiledIntoTheServer() throws Exception {
        Path server = Path.of(ServerHost.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Path spi = Path.of(Plugin.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        assertNotEquals(server, spi, "the SPI's classes come from the server's own output");
        Path dir = server.resolve("dev/jnbdkit/spi");   // may linger empty in a tree built before the split
        List<Path> compiled = List.of();
        if (Files.isDirectory(dir)) {
            try (Stream<Path> files = Files.list(dir)) {
                compiled = files.filter(f -> f.toString().endsWith(".class")).toList();
            }
        }
        assertEquals(List.of(), compiled,
                "classes of dev.jnbdkit.spi in the server's output: move their sources to spi/src/main/java");
    }
}
