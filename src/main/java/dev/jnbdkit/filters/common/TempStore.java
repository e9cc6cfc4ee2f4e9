package dev.jnbdkit.filters.common;

import dev.jnbdkit.log.Log;
import dev.jnbdkit.posix.FileCalls;
import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.PluginException;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * The temporary file behind the cow overlay and the cache: created in {@code $TMPDIR} (default
 * {@code /var/tmp}, as nbdkit, because it can be as large as the disk), unlinked at once so that
 * nothing is left behind however the server ends, sparse (only what is written takes space), with
 * holes punched where blocks are dropped. Reads and writes go straight between a request's native
 * memory and the file (pread/pwrite through {@link FileCalls}). Thread-safe: positional I/O only.
 */
public final class TempStore implements AutoCloseable {
    /** nbdkit's default for large temporary files. */
    public static final String DEFAULT_TMPDIR = "/var/tmp";

    private final int fd;
    private final Path dir;
    private volatile boolean closed;

    private TempStore(int fd, Path dir) {
        this.fd = fd;
        this.dir = dir;
    }

    /** The directory temporary files go to: {@code $TMPDIR}, else /var/tmp. */
    public static Path directory() {
        String t = System.getenv("TMPDIR");
        return Path.of(t == null || t.isEmpty() ? DEFAULT_TMPDIR : t);
    }

    /**
     * Creates and unlinks the file. Fails (EIO, nbdkit's message {@code mkostemp: DIR: reason})
     * when the directory cannot hold it.
     */
    public static TempStore create(String filter) {
        Path dir = directory();
        Path p;
        try {
            // Mode 0600 on POSIX, like mkostemp.
            p = Files.createTempFile(dir, "jnbdkit-" + filter + "-", ".tmp");
        } catch (NoSuchFileException e) {
            throw new PluginException(Errno.EIO, "mkostemp: " + dir + ": No such file or directory");
        } catch (IOException | SecurityException e) {
            String why = e.getMessage();
            if (e instanceof java.nio.file.AccessDeniedException) why = "Permission denied";
            throw new PluginException(Errno.EIO, "mkostemp: " + dir + ": " + why);
        }
        int fd = FileCalls.open(p.toString(), FileCalls.O_RDWR | FileCalls.O_CLOEXEC);
        int err = fd < 0 ? FileCalls.errno() : 0;
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            Log.warning(filter + ": cannot unlink temporary file " + p + ": " + e.getMessage());
        }
        if (fd < 0) throw error("open: " + p, err);
        return new TempStore(fd, dir);
    }

    public Path dir() { return dir; }

    /** A failed libc call: the errno for the client, nbdkit's {@code call: message}. */
    private static PluginException error(String call, int errno) {
        return new PluginException(errno == 0 ? Errno.EIO : errno, call + ": " + FileCalls.strerror(errno));
    }

    /**
     * The block size of the file system holding the file (nbdkit's {@code st_blksize}), or 4096
     * when it cannot be found.
     */
    public long fileSystemBlockSize() {
        try {
            long b = Files.getFileStore(dir).getBlockSize();
            return b > 0 ? b : 4096;
        } catch (IOException | UnsupportedOperationException e) {
            return 4096;
        }
    }

    /** Fills {@code dst} from {@code offset}; what lies past the end of the file reads as zeros. */
    public void read(MemorySegment dst, long offset) {
        long done = 0, n = dst.byteSize();
        while (done < n) {
            long r = FileCalls.pread(fd, dst.asSlice(done), offset + done);
            if (r < 0) {
                int e = FileCalls.errno();
                if (e == FileCalls.EINTR) continue;
                throw error("pread", e);
            }
            if (r == 0) { // past the end: never written
                dst.asSlice(done).fill((byte) 0);
                return;
            }
            done += r;
        }
    }

    /** Writes all of {@code src} at {@code offset}. */
    public void write(MemorySegment src, long offset) {
        long done = 0, n = src.byteSize();
        while (done < n) {
            long r = FileCalls.pwrite(fd, src.asSlice(done), offset + done);
            if (r < 0) {
                int e = FileCalls.errno();
                if (e == FileCalls.EINTR) continue;
                throw error("pwrite", e);
            }
            done += r;
        }
    }

    /**
     * Gives the range's space back (punch hole, size kept); true if done. Best effort for callers
     * that never read a dropped range again before writing it: on a file system without hole
     * punching that only costs space (the reason is logged in debug).
     */
    public boolean punchHole(long offset, long length) {
        if (length <= 0) return true;
        int r = FileCalls.fallocate(fd, FileCalls.FALLOC_FL_PUNCH_HOLE | FileCalls.FALLOC_FL_KEEP_SIZE, offset, length);
        if (r < 0) Log.debug("fallocate: PUNCH_HOLE: " + FileCalls.strerror(FileCalls.errno()));
        return r == 0;
    }

    /** Makes the range read as zeros: a punched hole, else zeros written. */
    public void zero(long offset, long length) {
        if (punchHole(offset, length)) return;
        MemorySegment zeros = java.lang.foreign.Arena.ofAuto().allocate(Math.min(length, 1 << 20));
        for (long done = 0; done < length; ) {
            long n = Math.min(length - done, zeros.byteSize());
            write(zeros.asSlice(0, n), offset + done);
            done += n;
        }
    }

    /** Hints that the range will be read soon (a cache request for data already here). */
    public void willNeed(long offset, long length) {
        FileCalls.posixFadvise(fd, offset, length, FileCalls.POSIX_FADV_WILLNEED);
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        FileCalls.close(fd);
    }
}
