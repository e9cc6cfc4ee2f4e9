package dev.jnbdkit.plugins.file;

import dev.jnbdkit.posix.FileCalls;
import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.Export;
import dev.jnbdkit.spi.Handle;
import dev.jnbdkit.spi.Nbdkit;
import dev.jnbdkit.spi.OpenContext;
import dev.jnbdkit.spi.Plugin;
import dev.jnbdkit.spi.PluginException;
import dev.jnbdkit.spi.ThreadModel;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code file}: serve a file or block device, as nbdkit-file-plugin(1).
 * <pre>
 *   [file=]FILENAME  [cache=default|none] [fadvise=normal|random|sequential]
 *   dir=DIRECTORY    (also directory=: serve the files in DIRECTORY, chosen by export name)
 *   fd=FD            (serve the file or block device open on inherited descriptor FD)
 *   dirfd=FD         (serve the files of the directory open on inherited descriptor FD)
 * </pre>
 * Exactly one of file, dir, fd and dirfd may appear, as in nbdkit 1.34. A descriptor is reached
 * through {@code /proc/self/fd/FD}, so each connection opens the same file (or the directory's
 * entries) afresh rather than sharing one file offset.
 * Each connection opens the file itself (read-write, or read-only with {@code -r} or when the
 * file cannot be opened for writing: a read-only file gives a read-only export) and does its
 * I/O with pread/pwrite into the request's buffer; see {@link FileHandle}.
 */
public final class FilePlugin implements Plugin {
    enum CacheMode { DEFAULT, NONE }

    /** Which of file=, dir=/directory=, fd=, dirfd= was given (null: none yet). */
    private String mode;
    private Path file;
    private Path dir;
    private CacheMode cache = CacheMode.DEFAULT;
    private int fadvise = FileCalls.POSIX_FADV_NORMAL;

    public FilePlugin() {}

    @Override public String name() { return "file"; }

    @Override public String version() { return dev.jnbdkit.plugins.PluginVersion.VERSION; }

    @Override public String longname() { return "nbdkit file plugin"; }

    @Override public String description() {
        return "Serves a file or block device, or the files of a directory chosen by export name.";
    }

    @Override public String configHelp() {
        return "[file=]<FILENAME>     The filename to serve.\n"
                + "dir=<DIRNAME>         A directory containing files to serve.\n"
                + "fd=<FD>               Serve the file or device open on file descriptor FD.\n"
                + "dirfd=<FD>            Serve the files of the directory open on FD.\n"
                + "cache=<MODE>          Set use of caching (default, none).\n"
                + "fadvise=<LEVEL>       Set fadvise hint (normal, random, sequential).";
    }

    @Override public String magicConfigKey() { return "file"; }

    @Override public void dumpPlugin(PrintStream out) {
        out.println("file_falloc_fl_punch_hole=yes");
        out.println("file_falloc_fl_zero_range=yes");
    }

    @Override
    public void config(String key, String value) {
        switch (key) {
            case "file" -> {
                setMode("file");
                file = realpath(value);
            }
            case "dir", "directory" -> {
                setMode("dir");
                dir = realpath(value);
            }
            case "fd" -> {
                setMode("fd");
                file = descriptor(parseFd("fd", value));
            }
            case "dirfd" -> {
                setMode("dirfd");
                dir = descriptor(parseFd("dirfd", value));
            }
            case "cache" -> cache = switch (value) {
                case "default" -> CacheMode.DEFAULT;
                case "none" -> CacheMode.NONE;
                default -> throw new PluginException(Errno.EINVAL, "unknown cache mode: " + value);
            };
            case "fadvise" -> fadvise = switch (value) {
                case "normal" -> FileCalls.POSIX_FADV_NORMAL;
                case "random" -> FileCalls.POSIX_FADV_RANDOM;
                case "sequential" -> FileCalls.POSIX_FADV_SEQUENTIAL;
                default -> throw new PluginException(Errno.EINVAL, "unknown fadvise mode: " + value);
            };
            default -> throw new PluginException(Errno.EINVAL, "unknown parameter '" + key + "'");
        }
    }

    /** nbdkit 1.34: the four ways to name what is served exclude each other, each given once. */
    private void setMode(String m) {
        if (mode != null) {
            throw new PluginException(Errno.EINVAL, "file|dir|fd|dirfd parameter can only appear once on the command line");
        }
        mode = m;
    }

    /** An inherited descriptor number as nbdkit_parse_int reads it; 0, 1 and 2 are the server's. */
    static int parseFd(String what, String value) {
        int fd;
        try {
            fd = Integer.decode(value.strip());
        } catch (NumberFormatException e) {
            throw new PluginException(Errno.EINVAL, what + ": could not parse number: \"" + value + "\"");
        }
        if (fd <= 2) {
            throw new PluginException(Errno.EINVAL, "file descriptor must be > 2 because "
                    + "stdin, stdout and stderr are reserved for nbdkit");
        }
        return fd;
    }

    /** The path through which the kernel reopens what descriptor {@code fd} has open. */
    static Path descriptor(int fd) { return Path.of("/proc/self/fd/" + fd); }

    /** nbdkit_realpath: resolve now, since the server may change directory later. */
    static Path realpath(String value) {
        try {
            return Path.of(value).toRealPath();
        } catch (NoSuchFileException e) {
            throw new PluginException(Errno.ENOENT, "realpath: " + value + ": No such file or directory");
        } catch (AccessDeniedException e) {
            throw new PluginException(Errno.EPERM, "realpath: " + value + ": Permission denied");
        } catch (IOException | RuntimeException e) {
            throw new PluginException(Errno.EINVAL, "realpath: " + value + ": " + e.getMessage());
        }
    }

    @Override
    public void configComplete() {
        if (mode == null) {
            throw new PluginException(Errno.EINVAL, "you must supply either [file=]<FILENAME> or "
                    + "dir=<DIRNAME> parameter after the plugin name on the command line");
        }
        switch (mode) {
            case "file" -> {
                if (Files.isDirectory(file)) {
                    throw new PluginException(Errno.EINVAL, "use dir= to serve files within " + file);
                }
            }
            case "dir" -> {
                if (!Files.isDirectory(dir)) {
                    throw new PluginException(FileCalls.ENOTDIR, "expecting a directory: " + dir);
                }
            }
            // a descriptor that is not open fails these checks too, as nbdkit's fstat does
            case "fd" -> {
                if (!Files.isRegularFile(file) && !isBlockDevice(file)) {
                    throw new PluginException(Errno.EINVAL, "fd is not regular or block device");
                }
            }
            case "dirfd" -> {
                if (!Files.isDirectory(dir)) {
                    throw new PluginException(FileCalls.ENOTDIR, "dirfd is not a directory");
                }
            }
            default -> throw new IllegalStateException(mode);
        }
    }

    @Override public ThreadModel threadModel() { return ThreadModel.PARALLEL; }

    @Override
    public List<Export> listExports(boolean readonly, boolean isTls) {
        if (dir == null) return null;
        List<Export> out = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                // regular files and block devices, following symlinks
                if (Files.isRegularFile(p) || isBlockDevice(p)) out.add(Export.named(p.getFileName().toString()));
            }
        } catch (IOException e) {
            throw new PluginException(Errno.EIO, "opendir: " + dir + ": " + e.getMessage());
        }
        out.sort((a, b) -> a.name().compareTo(b.name()));
        return out;
    }

    @Override
    public Class<? extends Handle> handleType() { return FileHandle.class; }

    @Override
    public Handle open(OpenContext context) {
        Path path;
        if (dir == null) {
            path = file;
        } else {
            String name = context.exportName() == null ? "" : context.exportName();
            if (name.indexOf('/') >= 0) {
                throw new PluginException(Errno.EINVAL, "exportname cannot contain /: " + name);
            }
            if (name.isEmpty() || name.equals(".") || name.equals("..")) {
                throw FileErrors.error("open: " + name, Errno.ENOENT);
            }
            path = dir.resolve(name);
            if (!Files.isRegularFile(path) && !isBlockDevice(path)) {
                if (!Files.exists(path)) throw FileErrors.error("open: " + name, Errno.ENOENT);
                throw new PluginException(Errno.EINVAL, "file is not regular or block device: " + name);
            }
        }
        return FileHandle.open(path, context.readonly(), cache == CacheMode.NONE, fadvise);
    }

    /** True for a block device (following symlinks). */
    static boolean isBlockDevice(Path p) {
        try {
            Object mode = Files.getAttribute(p, "unix:mode");
            return mode instanceof Integer m && (m & 0170000) == 0060000;
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return false;
        }
    }

    static void debug(String msg) { Nbdkit.debug("file: " + msg); }
}
