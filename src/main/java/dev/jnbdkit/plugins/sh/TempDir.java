package dev.jnbdkit.plugins.sh;

import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.Nbdkit;
import dev.jnbdkit.spi.PluginException;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * The scripts' {@code $tmpdir}: a fresh private directory, {@code nbdkitXXXXXX} under
 * {@code $TMPDIR} (else /tmp) as nbdkit names it, removed with everything in it at exit.
 */
record TempDir(Path path) {
    static TempDir create() {
        String base = System.getenv("TMPDIR");
        Path parent = Path.of(base == null || base.isEmpty() ? "/tmp" : base);
        var mode = PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));
        for (int attempt = 0; ; attempt++) {
            Path dir = parent.resolve("nbdkit" + randomSuffix());
            try {
                return new TempDir(Files.createDirectory(dir, mode));
            } catch (java.nio.file.FileAlreadyExistsException e) {
                if (attempt > 100) throw new PluginException(Errno.EIO, "mkdtemp: " + dir + ": " + e.getMessage());
            } catch (IOException e) {
                throw new PluginException(Errno.EIO, "mkdtemp: " + dir + ": " + e.getMessage());
            }
        }
    }

    /** Six letters and digits, as mkdtemp's XXXXXX. */
    private static String randomSuffix() {
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        var random = java.util.concurrent.ThreadLocalRandom.current();
        StringBuilder sb = new StringBuilder(6);
        for (int i = 0; i < 6; i++) sb.append(alphabet.charAt(random.nextInt(alphabet.length())));
        return sb.toString();
    }

    /** Removes the directory and its contents; what cannot be removed is logged and left. */
    void delete() {
        if (!Files.exists(path)) return;
        try {
            Files.walkFileTree(path, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.deleteIfExists(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                    Files.deleteIfExists(dir);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            Nbdkit.error("cannot remove " + path + ": " + e);
        }
    }
}
