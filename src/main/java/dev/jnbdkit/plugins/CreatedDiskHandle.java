package dev.jnbdkit.plugins;

import dev.jnbdkit.plugins.file.FileHandle;
import dev.jnbdkit.posix.FileCalls;
import dev.jnbdkit.spi.FuaMode;
import dev.jnbdkit.spi.Handle;
import dev.jnbdkit.spi.IoBuffer;

/**
 * A disk file a {@link DiskRecipe} made (tmpdisk, ondemand), served with the file plugin's I/O
 * and the capabilities nbdkit advertises for these plugins: flush, native FUA, trim (no
 * multi-conn); zeroing is left to the server. An optional second descriptor holds the file's lock (ondemand)
 * until the connection closes.
 */
public final class CreatedDiskHandle implements Handle {
    private final FileHandle file;
    private final int lockFd;

    /** {@code lockFd}: a descriptor to close with the handle, or -1. */
    public CreatedDiskHandle(FileHandle file, int lockFd) {
        this.file = file;
        this.lockFd = lockFd;
    }

    @Override
    public void close() {
        file.close();
        if (lockFd >= 0) FileCalls.close(lockFd);
    }

    @Override public long getSize() { return file.getSize(); }
    @Override public boolean canWrite() { return file.canWrite(); }
    @Override public boolean canFlush() { return true; }
    @Override public FuaMode canFua() { return FuaMode.NATIVE; }
    @Override public boolean canTrim() { return true; }
    @Override public void pread(IoBuffer buf, long offset, int flags) { file.pread(buf, offset, flags); }
    @Override public void pwrite(IoBuffer buf, long offset, int flags) { file.pwrite(buf, offset, flags); }
    @Override public void flush(int flags) { file.flush(flags); }
    @Override public void trim(long count, long offset, int flags) { file.trim(count, offset, flags); }
}
