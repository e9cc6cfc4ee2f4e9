package dev.jnbdkit.it;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * jnbdkit as a library: the artifact this build made is installed into the local Maven
 * repository (as {@code mvn install} would), and examples/embedding — a separate Maven project
 * that depends on it — builds and passes its own test, which starts a server with its own Java
 * plugin and reads it with nbdinfo and nbdcopy.
 */
class EmbeddingIT extends ItBase {
    @Test
    void theExampleProjectBuildsAgainstTheInstalledArtifact() throws IOException {
        Path home = Server.home();
        Path jar = home.resolve("target/jnbdkit.jar");
        assertTrue(Files.isRegularFile(jar), "the build's jar: " + jar);
        Cmd.of("mvn", "-B", "-q", "install:install-file", "-Dfile=" + jar, "-DpomFile=" + home.resolve("pom.xml"))
                .inheritPath().ok();

        Path project = tmp.resolve("embedding");
        copyTree(home.resolve("examples/embedding"), project);
        Cmd.Result r = Cmd.of("mvn", "-B", "-f", project.resolve("pom.xml").toString(), "test").ok();
        assertTrue(r.out().contains("Tests run: 2, Failures: 0, Errors: 0, Skipped: 0"), r.out());
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
