package dev.jnbdkit.plugins.file;

import dev.jnbdkit.posix.FileCalls;
import dev.jnbdkit.spi.CacheMode;
import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.Extent;
import dev.jnbdkit.spi.ExtentSink;
import dev.jnbdkit.spi.Flags;
import dev.jnbdkit.spi.FuaMode;
import dev.jnbdkit.spi.Handle;
import dev.jnbdkit.spi.IoBuffer;
import dev.jnbdkit.spi.PluginException;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;

import static dev.jnbdkit.posix.FileCalls.*;

/**
 * One connection to a file or block device: its own file descriptor, positional I/O straight
 * between the descriptor and the request's native buffer (no copies), and the kernel's answers
 * for flush (fdatasync), trim (punch hole), zero (zero range / punch hole) and extents
 * (SEEK_DATA / SEEK_HOLE). Safe for parallel requests: nothing here depends on the file offset.
 * Public for the plugins that serve a file they made themselves (tmpdisk, ondemand).
 */
public final class FileHandle implements Handle {
    private final int fd;
    private final Path path;
    private final boolean writable;
    private final boolean blockDevice;
    private final boolean cacheNone;
    private final boolean extents;
    /** Cleared when the kernel says the operation is not supported here. */
    private volatile boolean canPunchHole = true;
    private volatile boolean canZeroRange = true;
    private volatile boolean closed;

    private FileHandle(int fd, Path path, boolean writable, boolean blockDevice, boolean cacheNone) {
        this.fd = fd;
        this.path = path;
        this.writable = writable;
        this.blockDevice = blockDevice;
        this.cacheNone = cacheNone;
        this.extents = probeExtents();
    }

    /** {@code path} opened as the file plugin opens it by default (no cache=none, no fadvise). */
    public static FileHandle open(Path path, boolean readonly) {
        return open(path, readonly, false, POSIX_FADV_NORMAL);
    }

    static FileHandle open(Path path, boolean readonly, boolean cacheNone, int fadvise) {
        String name = path.toString();
        int base = O_CLOEXEC | O_NOCTTY;
        int fd = -1;
        boolean writable = false;
        if (!readonly) {
            fd = FileCalls.open(name, base | O_RDWR);
            if (fd >= 0) {
                writable = true;
            } else {
                int e = FileCalls.errno();
                if (e != EACCES && e != EROFS && e != Errno.EPERM) throw FileErrors.error("open: " + name, e);
                FilePlugin.debug("open: " + name + ": " + FileCalls.strerror(e) + ", serving it read-only");
            }
        }
        if (fd < 0) {
            fd = FileCalls.open(name, base | O_RDONLY);
            if (fd < 0) throw FileErrors.lastError("open: " + name);
        }
        if (fadvise != POSIX_FADV_NORMAL) FileCalls.posixFadvise(fd, 0, 0, fadvise);
        boolean block = !Files.isRegularFile(path) && FilePlugin.isBlockDevice(path);
        return new FileHandle(fd, path, writable, block, cacheNone);
    }

    /** SEEK_DATA works here (ENXIO just means the whole file is a hole). */
    private boolean probeExtents() {
        if (FileCalls.lseek(fd, 0, SEEK_DATA) >= 0) return true;
        int e = FileCalls.errno();
        if (e == ENXIO) return true;
        FilePlugin.debug("extents disabled: lseek SEEK_DATA: " + FileCalls.strerror(e));
        return false;
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        if (FileCalls.close(fd) < 0) FilePlugin.debug("close: " + FileCalls.strerror(FileCalls.errno()));
    }

    @Override
    public long getSize() {
        long size = FileCalls.lseek(fd, 0, SEEK_END);
        if (size < 0) throw FileErrors.lastError("lseek");
        return size;
    }

    @Override public boolean canWrite() { return writable; }
    @Override public boolean canFlush() { return true; }
    @Override public FuaMode canFua() { return FuaMode.NATIVE; }
    @Override public boolean canTrim() { return true; }
    @Override public boolean canZero() { return true; }
    /** Zero never falls back to writing zeros itself: it is fast or it fails with ENOTSUP. */
    @Override public boolean canFastZero() { return true; }
    @Override public boolean canExtents() { return extents; }
    @Override public boolean canMultiConn() { return true; }
    @Override public CacheMode canCache() { return CacheMode.NATIVE; }

    // ---- data ----------------------------------------------------------------------------------

    @Override
    public void pread(IoBuffer buf, long offset, int flags) {
        MemorySegment seg = buf.segment();
        if (!seg.isNative()) {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment tmp = a.allocate(Math.max(1, seg.byteSize())).asSlice(0, seg.byteSize());
                readFully(tmp, offset);
                MemorySegment.copy(tmp, 0, seg, 0, seg.byteSize());
            }
        } else {
            readFully(seg, offset);
        }
        if (cacheNone) FileCalls.posixFadvise(fd, offset, seg.byteSize(), POSIX_FADV_DONTNEED);
    }

    private void readFully(MemorySegment seg, long offset) {
        long len = seg.byteSize();
        long done = 0;
        while (done < len) {
            MemorySegment part = done == 0 ? seg : seg.asSlice(done);
            long r = FileCalls.pread(fd, part, offset + done);
            if (r < 0) {
                int e = FileCalls.errno();
                if (e == EINTR || e == EAGAIN) continue;
                throw FileErrors.error("pread", e);
            }
            if (r == 0) throw new PluginException(Errno.EIO, "pread: unexpected end of file");
            done += r;
        }
    }

    @Override
    public void pwrite(IoBuffer buf, long offset, int flags) {
        MemorySegment seg = buf.segment();
        if (!seg.isNative()) {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment tmp = a.allocate(Math.max(1, seg.byteSize())).asSlice(0, seg.byteSize());
                MemorySegment.copy(seg, 0, tmp, 0, seg.byteSize());
                writeFully(tmp, offset);
            }
        } else {
            writeFully(seg, offset);
        }
        if (Flags.has(flags, Flags.FUA)) sync();
        if (cacheNone) evict(offset, seg.byteSize());
    }

    private void writeFully(MemorySegment seg, long offset) {
        long len = seg.byteSize();
        long done = 0;
        while (done < len) {
            MemorySegment part = done == 0 ? seg : seg.asSlice(done);
            long r = FileCalls.pwrite(fd, part, offset + done);
            if (r < 0) {
                int e = FileCalls.errno();
                if (e == EINTR || e == EAGAIN) continue;
                throw FileErrors.error("pwrite", e);
            }
            if (r == 0) throw new PluginException(Errno.ENOSPC, "pwrite: wrote no bytes");
            done += r;
        }
    }

    /** cache=none: write back and drop the range from the page cache. */
    private void evict(long offset, long count) {
        FileCalls.syncFileRange(fd, offset, count,
                SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER);
        FileCalls.posixFadvise(fd, offset, count, POSIX_FADV_DONTNEED);
    }

    private void sync() {
        while (FileCalls.fdatasync(fd) < 0) {
            int e = FileCalls.errno();
            if (e != EINTR) throw FileErrors.error("fdatasync", e);
        }
    }

    @Override
    public void flush(int flags) { sync(); }

    // ---- trim / zero -----------------------------------------------------------------------

    /** fallocate, retried on EINTR: 0 on success, else the errno. */
    private int fallocate(int mode, long offset, long count) {
        while (true) {
            if (FileCalls.fallocate(fd, mode, offset, count) == 0) return 0;
            int e = FileCalls.errno();
            if (e != EINTR) return e;
        }
    }

    private static boolean unsupported(int e) {
        return e == EOPNOTSUPP || e == ENOSYS || e == ENODEV;
    }

    /** Punch a hole: 0, or the errno (an unsupported result turns punching off for good). */
    private int punchHole(long offset, long count) {
        if (!canPunchHole) return EOPNOTSUPP;
        int e = fallocate(FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offset, count);
        if (unsupported(e)) {
            canPunchHole = false;
            FilePlugin.debug("punch hole not supported on " + path + ": " + FileCalls.strerror(e));
        }
        return e;
    }

    /** Trim is advisory: where holes cannot be punched it succeeds and does nothing. */
    @Override
    public void trim(long count, long offset, int flags) {
        int e = punchHole(offset, count);
        if (e != 0 && !unsupported(e)) throw FileErrors.error("fallocate", e);
        if (Flags.has(flags, Flags.FUA)) sync();
    }

    @Override
    public void zero(long count, long offset, int flags) {
        boolean done = false;
        if (Flags.has(flags, Flags.MAY_TRIM)) {
            int e = punchHole(offset, count);
            if (e == 0) done = true;
            else if (!unsupported(e)) throw FileErrors.error("fallocate", e);
        }
        // On a block device ZERO_RANGE may quietly fall back to writing zeros: not for FAST_ZERO.
        if (!done && canZeroRange && !(blockDevice && Flags.has(flags, Flags.FAST_ZERO))) {
            int e = fallocate(FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, offset, count);
            if (e == 0) {
                done = true;
            } else if (unsupported(e) || e == EINVAL) {
                canZeroRange = false;
                FilePlugin.debug("zero range not supported on " + path + ": " + FileCalls.strerror(e));
            } else {
                throw FileErrors.error("fallocate", e);
            }
        }
        // A file system without ZERO_RANGE (tmpfs): punch a hole, then allocate it again.
        if (!done && !blockDevice && canPunchHole) {
            int e = punchHole(offset, count);
            if (e == 0) {
                int a = fallocate(0, offset, count);
                if (a != 0 && !unsupported(a)) throw FileErrors.error("fallocate", a);
                done = true;
            } else if (!unsupported(e)) {
                throw FileErrors.error("fallocate", e);
            }
        }
        if (!done) throw new PluginException(Errno.ENOTSUP, "zero: not supported on " + path);
        if (Flags.has(flags, Flags.FUA)) sync();
    }

    // ---- extents / cache -------------------------------------------------------------------

    @Override
    public void extents(long count, long offset, int flags, ExtentSink sink) {
        boolean reqOne = Flags.has(flags, Flags.REQ_ONE);
        long end = offset + count;
        long pos = offset;
        while (pos < end) {
            long data = FileCalls.lseek(fd, pos, SEEK_DATA);
            if (data < 0) {
                int e = FileCalls.errno();
                if (e != ENXIO) throw FileErrors.error("lseek", e);
                // no data from pos to the end of the file
                sink.add(pos, end - pos, Extent.HOLE | Extent.ZERO);
                return;
            }
            if (data > pos) {
                sink.add(pos, data - pos, Extent.HOLE | Extent.ZERO);
                if (reqOne) return;
                pos = data;
                if (pos >= end) return;
            }
            long hole = FileCalls.lseek(fd, pos, SEEK_HOLE);
            if (hole < 0) {
                int e = FileCalls.errno();
                if (e != ENXIO) throw FileErrors.error("lseek", e);
                hole = end; // the file shrank under us: report what was asked as data
            }
            if (hole <= pos) hole = end;
            sink.add(pos, hole - pos, Extent.DATA);
            if (reqOne) return;
            pos = hole;
        }
    }

    @Override
    public void cache(long count, long offset, int flags) {
        if (flags != 0) throw new PluginException(Errno.EINVAL, "cache: unknown flags " + flags);
        int e = FileCalls.posixFadvise(fd, offset, count, POSIX_FADV_WILLNEED);
        if (e != 0) throw FileErrors.error("posix_fadvise", e);
    }
}
