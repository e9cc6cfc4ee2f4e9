package dev.jnbdkit.plugins.ondemand;

import dev.jnbdkit.plugins.CreatedDiskHandle;
import dev.jnbdkit.plugins.DiskRecipe;
import dev.jnbdkit.plugins.PluginVersion;
import dev.jnbdkit.plugins.file.FileHandle;
import dev.jnbdkit.posix.FileCalls;
import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.Export;
import dev.jnbdkit.spi.Handle;
import dev.jnbdkit.spi.Nbdkit;
import dev.jnbdkit.spi.OpenContext;
import dev.jnbdkit.spi.Plugin;
import dev.jnbdkit.spi.PluginException;
import dev.jnbdkit.spi.Sizes;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * {@code ondemand}: a persistent filesystem per export name, made the first time a client asks
 * for it, nbdkit-ondemand-plugin(1). Export {@code NAME} is the file {@code dir=/NAME} ({@code ""}
 * is {@code default}), created by the {@link DiskRecipe} (mkfs, or {@code command=}) when it does
 * not exist. A client holds a lock on its file while connected (shared under {@code -r}, else
 * exclusive), so two writers never share a filesystem; a second client is refused ("filesystem is
 * locked by another client") or, with {@code wait=true}, waits for the first to go.
 */
public final class OndemandPlugin implements Plugin {
    /** Linux's NAME_MAX: the longest file name, in bytes. */
    private static final int NAME_MAX = 255;
    private static final int EBUSY = 16;

    private final DiskRecipe recipe = new DiskRecipe();
    private Path dir;
    private boolean waitForLock;
    /** Serializes creation so two clients asking for a new name at once run the command once. */
    private final Object creating = new Object();

    public OndemandPlugin() {}

    @Override public String name() { return "ondemand"; }

    @Override public String version() { return PluginVersion.VERSION; }

    @Override public String longname() { return "nbdkit ondemand plugin"; }

    @Override public String description() { return "Creates filesystems on demand, one per export name."; }

    @Override public String magicConfigKey() { return "size"; }

    @Override
    public String configHelp() {
        return """
                dir=<EXPORTSDIR> (required) Directory containing filesystems.
                size=<SIZE>      (required) Virtual filesystem size.
                label=<LABEL>               The filesystem label.
                type=ext4|...               The filesystem type.
                command=<COMMAND>           Alternate command instead of mkfs.
                wait=true                   Wait instead of refusing a locked filesystem.""";
    }

    @Override
    public void config(String key, String value) {
        switch (key) {
            case "dir" -> dir = realpath(value);
            case "wait" -> waitForLock = Sizes.parseBool(value);
            default -> recipe.config(key, value);
        }
    }

    @Override
    public void configComplete() {
        if (dir == null || !recipe.hasSize()) throw new PluginException(Errno.EINVAL, "dir and size parameters are required");
    }

    @Override
    public void getReady() {
        if (!Files.isDirectory(dir)) throw new PluginException(FileCalls.ENOTDIR, "opendir: " + dir + ": Not a directory");
    }

    @Override
    public List<Export> listExports(boolean readonly, boolean isTls) {
        List<Export> out = new ArrayList<>();
        out.add(new Export("", null));
        TreeSet<String> names = new TreeSet<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path f : files) {
                String n = f.getFileName().toString();
                // Names a client could not ask for (and hidden files) are not exports.
                if (n.contains(".") || n.contains(":") || n.equals("default")) continue;
                names.add(n);
            }
        } catch (IOException e) {
            throw new PluginException(Errno.EIO, "opendir: " + dir + ": " + e.getMessage());
        }
        for (String n : names) out.add(new Export(n, null));
        return out;
    }

    /** {@code ""} is the file {@code default}; NBD_INFO_NAME reports it under that name, as nbdkit. */
    @Override public String defaultExport(boolean readonly, boolean isTls) { return "default"; }

    @Override public Class<? extends Handle> handleType() { return CreatedDiskHandle.class; }

    @Override
    public Handle open(OpenContext context) {
        String name = context.exportName().isEmpty() ? "default" : context.exportName();
        checkName(name);
        Path disk = dir.resolve(name);
        synchronized (creating) {
            if (!Files.exists(disk)) create(disk);
        }
        int lockFd = FileCalls.open(disk.toString(), (context.readonly() ? FileCalls.O_RDONLY : FileCalls.O_RDWR)
                | FileCalls.O_CLOEXEC | FileCalls.O_NOCTTY);
        if (lockFd < 0) {
            int e = FileCalls.errno();
            throw new PluginException(e, "open: " + disk + ": " + FileCalls.strerror(e));
        }
        boolean handed = false;
        try {
            lock(lockFd, name, disk, context.readonly());
            FileHandle file = FileHandle.open(disk, context.readonly());
            Nbdkit.debug("ondemand: requested_size = " + recipe.size() + ", size = " + file.getSize());
            handed = true;
            return new CreatedDiskHandle(file, lockFd);
        } finally {
            if (!handed) FileCalls.close(lockFd);
        }
    }

    /** Runs the recipe; a disk it left half made is removed, so the next client tries again. */
    private void create(Path disk) {
        try {
            recipe.create(disk);
        } catch (RuntimeException e) {
            try {
                Files.deleteIfExists(disk);
            } catch (IOException ignored) {
                // the error that matters is the command's
            }
            throw e;
        }
    }

    /** Readers share the file; a writer has it alone (nbdkit's open file description lock). */
    private void lock(int fd, String name, Path disk, boolean readonly) {
        if (FileCalls.lockWholeFile(fd, readonly ? FileCalls.F_RDLCK : FileCalls.F_WRLCK, waitForLock) == 0) return;
        int e = FileCalls.errno();
        if (e == FileCalls.EAGAIN || e == FileCalls.EACCES) {
            throw new PluginException(EBUSY, name + ": filesystem is locked by another client");
        }
        throw new PluginException(e, "fcntl: " + disk + ": " + FileCalls.strerror(e));
    }

    /** The names a client may ask for: a plain file name in the directory, nothing else. */
    private static void checkName(String name) {
        boolean bad = name.getBytes(StandardCharsets.UTF_8).length > NAME_MAX
                || name.contains(".") || name.contains("/") || name.contains(":");
        // nbdkit's message, typographic quotes included
        if (bad) throw new PluginException(Errno.EINVAL, "invalid exportname \u2018" + name + "\u2019 rejected");
    }

    private static Path realpath(String value) {
        try {
            return Path.of(value).toRealPath();
        } catch (NoSuchFileException e) {
            throw new PluginException(Errno.ENOENT, "realpath: " + value + ": No such file or directory");
        } catch (IOException e) {
            throw new PluginException(Errno.EINVAL, "realpath: " + value + ": " + e.getMessage());
        }
    }
}
