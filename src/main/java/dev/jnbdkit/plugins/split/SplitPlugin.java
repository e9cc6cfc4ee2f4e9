package dev.jnbdkit.plugins.split;

import dev.jnbdkit.plugins.PluginVersion;
import dev.jnbdkit.posix.FileCalls;
import dev.jnbdkit.spi.CacheMode;
import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.Extent;
import dev.jnbdkit.spi.ExtentSink;
import dev.jnbdkit.spi.Flags;
import dev.jnbdkit.spi.Handle;
import dev.jnbdkit.spi.IoBuffer;
import dev.jnbdkit.spi.OpenContext;
import dev.jnbdkit.spi.Plugin;
import dev.jnbdkit.spi.PluginException;
import dev.jnbdkit.spi.ThreadModel;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code split}: several plain files served as one disk, concatenated in command-line order, as
 * nbdkit-split-plugin(1). {@code [file=]FILENAME}, repeated. Each connection opens every file
 * (read-only under {@code -r}); the files must not change size while served. Requests are
 * serialized (nbdkit's thread model for this plugin); no trim, zero is emulated by writes,
 * extents come from each file's holes (SEEK_DATA/SEEK_HOLE).
 */
public final class SplitPlugin implements Plugin {
    private final List<String> files = new ArrayList<>();

    public SplitPlugin() {}

    @Override public String name() { return "split"; }

    @Override public String version() { return PluginVersion.VERSION; }

    @Override public String longname() { return "nbdkit split plugin"; }

    @Override public String description() { return "Serves several files as one disk, concatenated in order."; }

    @Override public String configHelp() { return "file=<FILENAME>  (required) File(s) to serve."; }

    @Override public String magicConfigKey() { return "file"; }

    @Override
    public void config(String key, String value) {
        if (!key.equals("file")) throw new PluginException(Errno.EINVAL, "unknown parameter '" + key + "'");
        // Resolved now, as nbdkit does, so a missing file stops the server before it listens.
        try {
            files.add(Path.of(value).toRealPath().toString());
        } catch (NoSuchFileException e) {
            throw new PluginException(Errno.ENOENT, "realpath: " + value + ": No such file or directory");
        } catch (IOException e) {
            throw new PluginException(Errno.EINVAL, "realpath: " + value + ": " + e.getMessage());
        }
    }

    @Override public ThreadModel threadModel() { return ThreadModel.SERIALIZE_REQUESTS; }

    @Override public Class<? extends Handle> handleType() { return SplitHandle.class; }

    @Override
    public Handle open(OpenContext context) {
        List<Part> parts = new ArrayList<>();
        long offset = 0;
        try {
            for (String f : files) {
                int fd = FileCalls.open(f, (context.readonly() ? FileCalls.O_RDONLY : FileCalls.O_RDWR) | FileCalls.O_CLOEXEC);
                if (fd < 0) throw lastError("open: " + f);
                parts.add(new Part(fd, f, offset, 0));
                long size = FileCalls.lseek(fd, 0, FileCalls.SEEK_END);
                if (size < 0) throw lastError("lseek: " + f);
                parts.set(parts.size() - 1, new Part(fd, f, offset, size));
                offset += size;
            }
        } catch (RuntimeException e) {
            for (Part p : parts) FileCalls.close(p.fd());
            throw e;
        }
        return new SplitHandle(parts, offset);
    }

    /** A failed libc call, as nbdkit reports it: the errno for the client, {@code call: message}. */
    static PluginException lastError(String call) {
        int errno = FileCalls.errno();
        return new PluginException(errno == 0 ? Errno.EIO : errno, call + ": " + FileCalls.strerror(errno));
    }

    /** One file: where it starts on the disk and how long it is. */
    record Part(int fd, String path, long start, long size) {
        long end() { return start + size; }
    }

    static final class SplitHandle implements Handle {
        private final List<Part> parts;
        private final long size;

        SplitHandle(List<Part> parts, long size) {
            this.parts = parts;
            this.size = size;
        }

        @Override public void close() { for (Part p : parts) FileCalls.close(p.fd()); }

        @Override public long getSize() { return size; }

        @Override public boolean canWrite() { return true; }

        @Override public boolean canExtents() { return true; }

        @Override public CacheMode canCache() { return CacheMode.NATIVE; }

        /** The file holding disk offset {@code offset} (binary search). */
        private int find(long offset) {
            int lo = 0, hi = parts.size() - 1;
            while (lo < hi) {
                int mid = (lo + hi + 1) >>> 1;
                if (parts.get(mid).start() <= offset) lo = mid;
                else hi = mid - 1;
            }
            // skip empty files that start at the same offset
            while (lo < parts.size() - 1 && parts.get(lo).end() <= offset) lo++;
            return lo;
        }

        private interface Io { void run(Part p, MemorySegment seg, long fileOffset); }

        private void each(MemorySegment seg, long offset, Io io) {
            long pos = 0, len = seg.byteSize();
            int i = find(offset);
            while (pos < len) {
                Part p = parts.get(i++);
                long in = offset + pos - p.start();
                long n = Math.min(p.size() - in, len - pos);
                if (n <= 0) continue;
                io.run(p, seg.asSlice(pos, n), in);
                pos += n;
            }
        }

        @Override
        public void pread(IoBuffer buf, long offset, int flags) {
            each(buf.segment(), offset, (p, seg, at) -> {
                long done = 0;
                while (done < seg.byteSize()) {
                    long r = FileCalls.pread(p.fd(), seg.asSlice(done), at + done);
                    if (r < 0) throw lastError("pread");
                    if (r == 0) throw new PluginException(Errno.EIO, "pread: unexpected end of file: " + p.path());
                    done += r;
                }
            });
        }

        @Override
        public void pwrite(IoBuffer buf, long offset, int flags) {
            each(buf.segment(), offset, (p, seg, at) -> {
                long done = 0;
                while (done < seg.byteSize()) {
                    long w = FileCalls.pwrite(p.fd(), seg.asSlice(done), at + done);
                    if (w < 0) throw lastError("pwrite");
                    done += w;
                }
            });
        }

        @Override
        public void cache(long count, long offset, int flags) {
            long end = Math.min(size, offset + count);
            for (int i = find(offset); i < parts.size() && parts.get(i).start() < end; i++) {
                Part p = parts.get(i);
                long from = Math.max(offset, p.start()) - p.start();
                long to = Math.min(end, p.end()) - p.start();
                if (to > from) FileCalls.posixFadvise(p.fd(), from, to - from, FileCalls.POSIX_FADV_WILLNEED);
            }
        }

        @Override
        public void extents(long count, long offset, int flags, ExtentSink sink) {
            boolean reqOne = Flags.has(flags, Flags.REQ_ONE);
            long end = Math.min(size, offset + count);
            long pos = offset;
            for (int i = find(offset); i < parts.size() && pos < end; i++) {
                Part p = parts.get(i);
                long fileEnd = Math.min(end, p.end()) - p.start();
                long at = pos - p.start();
                while (at < fileEnd) {
                    long data = FileCalls.lseek(p.fd(), at, FileCalls.SEEK_DATA);
                    if (data < 0) {
                        if (FileCalls.errno() != 6 /* ENXIO: no data after at */) throw lastError("lseek");
                        data = fileEnd;
                    }
                    data = Math.min(data, fileEnd);
                    if (data > at) {
                        sink.add(p.start() + at, data - at, Extent.HOLE | Extent.ZERO);
                        if (reqOne) return;
                        at = data;
                        if (at >= fileEnd) break;
                    }
                    long hole = FileCalls.lseek(p.fd(), at, FileCalls.SEEK_HOLE);
                    if (hole < 0 || hole <= at) hole = fileEnd;
                    hole = Math.min(hole, fileEnd);
                    sink.add(p.start() + at, hole - at, Extent.DATA);
                    if (reqOne) return;
                    at = hole;
                }
                pos = p.start() + at;
            }
        }
    }
}
