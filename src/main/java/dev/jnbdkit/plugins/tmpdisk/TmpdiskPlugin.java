package dev.jnbdkit.plugins.tmpdisk;

import dev.jnbdkit.plugins.CreatedDiskHandle;
import dev.jnbdkit.plugins.DiskRecipe;
import dev.jnbdkit.plugins.PluginVersion;
import dev.jnbdkit.plugins.file.FileHandle;
import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.Handle;
import dev.jnbdkit.spi.Nbdkit;
import dev.jnbdkit.spi.OpenContext;
import dev.jnbdkit.spi.Plugin;
import dev.jnbdkit.spi.PluginException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * {@code tmpdisk}: a fresh filesystem for every client, deleted when it disconnects,
 * nbdkit-tmpdisk-plugin(1). Each open makes a private directory {@code $TMPDIR/tmpdiskXXXXXX}
 * (mode 0700: no other user can swap the file before it is opened), runs the {@link DiskRecipe}
 * to create {@code disk} in it, opens the result and removes the directory and the name: the
 * open descriptor is all that is left, so the disk goes away with the connection even if the
 * server is killed.
 */
public final class TmpdiskPlugin implements Plugin {
    private static final java.security.SecureRandom RANDOM = new java.security.SecureRandom();
    private final DiskRecipe recipe = new DiskRecipe();
    private Path tmpdir;

    public TmpdiskPlugin() {}

    @Override public String name() { return "tmpdisk"; }

    @Override public String version() { return PluginVersion.VERSION; }

    @Override public String longname() { return "nbdkit temporary disk plugin"; }

    @Override public String description() { return "A fresh temporary filesystem for each client."; }

    @Override public String magicConfigKey() { return "size"; }

    @Override
    public String configHelp() {
        return """
                size=<SIZE>     (required) Virtual filesystem size.
                label=<LABEL>              The filesystem label.
                type=ext4|...              The filesystem type.
                command=<COMMAND>          Alternate command instead of mkfs.""";
    }

    @Override
    public void load() {
        String t = System.getenv("TMPDIR");
        tmpdir = Path.of(t == null || t.isEmpty() ? "/var/tmp" : t);
    }

    @Override public void config(String key, String value) { recipe.config(key, value); }

    @Override
    public void configComplete() {
        if (!recipe.hasSize()) throw new PluginException(Errno.EINVAL, "size parameter is required");
    }

    @Override public Class<? extends Handle> handleType() { return CreatedDiskHandle.class; }

    @Override
    public Handle open(OpenContext context) {
        Path dir = privateDirectory();
        Path disk = dir.resolve("disk");
        try {
            recipe.create(disk);
            FileHandle file = FileHandle.open(disk, context.readonly());
            Nbdkit.debug("tmpdisk: requested_size = " + recipe.size() + ", size = " + file.getSize());
            return new CreatedDiskHandle(file, -1);
        } finally {
            removeQuietly(disk, dir);
        }
    }

    /** mkdtemp(3) of {@code $TMPDIR/tmpdiskXXXXXX}: a new directory only this user can enter. */
    private Path privateDirectory() {
        String letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        var attrs = PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));
        for (int attempt = 0; ; attempt++) {
            StringBuilder name = new StringBuilder("tmpdisk");
            for (int i = 0; i < 6; i++) name.append(letters.charAt(RANDOM.nextInt(letters.length())));
            try {
                return Files.createDirectory(tmpdir.resolve(name.toString()), attrs);
            } catch (java.nio.file.FileAlreadyExistsException e) {
                if (attempt > 100) throw new PluginException(Errno.EIO, tmpdir + "/tmpdiskXXXXXX: File exists");
            } catch (IOException e) {
                throw new PluginException(Errno.EIO, tmpdir + "/tmpdiskXXXXXX: " + e.getMessage());
            }
        }
    }

    private static void removeQuietly(Path disk, Path dir) {
        try {
            Files.deleteIfExists(disk);
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            Nbdkit.debug("tmpdisk: removing " + dir + ": " + e.getMessage());
        }
    }
}
