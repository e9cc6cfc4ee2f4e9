package dev.jnbdkit.it;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * jnbdkit as a library: the artifacts this build made (the parent pom, jnbdkit-spi, jnbdkit) are
 * installed into the local Maven repository (as {@code mvn install} would), and examples/embedding
 * — a separate Maven project that depends on jnbdkit alone, and gets jnbdkit-spi through it —
 * builds and passes its own test, which starts a server with its own Java plugin and reads it
 * with nbdinfo and nbdcopy.
 */
class EmbeddingIT extends ItBase {
    @Test
    void theExampleProjectBuildsAgainstTheInstalledArtifact() throws IOException {
        Path home = Server.home();
        install(home.resolve("pom.xml"), home.resolve("pom.xml"));
        install(home.resolve("spi/target/jnbdkit-spi.jar"), home.resolve("spi/pom.xml"));
        install(home.resolve("target/jnbdkit.jar"), home.resolve("jnbdkit.pom.xml"));

        Path project = tmp.resolve("embedding");
        copyTree(home.resolve("examples/embedding"), project);
        Cmd.Result r = Cmd.of("mvn", "-B", "-f", project.resolve("pom.xml").toString(), "test").ok();
        assertTrue(r.out().contains("Tests run: 2, Failures: 0, Errors: 0, Skipped: 0"), r.out());
    }

    /** One artifact into the local repository, without building (the build is running these tests). */
    private static void install(Path file, Path pom) {
        assertTrue(Files.isRegularFile(file), "the build's artifact: " + file);
        Cmd.of("mvn", "-B", "-q", "install:install-file", "-Dfile=" + file, "-DpomFile=" + pom).inheritPath().ok();
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> all = Files.walk(from)) {
            for (Path p : (Iterable<Path>) all::iterator) {
                Path rel = from.relativize(p);
                if (rel.startsWith("target")) continue;
                Path dest = to.resolve(rel.toString());
                if (Files.isDirectory(p)) Files.createDirectories(dest);
                else Files.copy(p, dest);
            }
        }
    }
}
