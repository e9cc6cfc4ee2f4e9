package dev.jnbdkit.plugins.ssh;

import com.jcraft.jsch.Channel;
import com.jcraft.jsch.Session;
import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.Handle;
import dev.jnbdkit.spi.IoBuffer;
import dev.jnbdkit.spi.Nbdkit;
import dev.jnbdkit.spi.PluginException;

import java.io.IOException;

/**
 * One NBD connection's remote file: its own SSH session, SFTP channel and open file handle.
 * The size is the file's when the connection opened it. Writes are allowed (the server refuses
 * them under {@code -r}); flush is offered when the SFTP server has fsync@openssh.com, and then so
 * is multi-conn (every connection writes the same remote file, and a flush reaches the disk).
 */
final class SshHandle implements Handle {
    private final Session session;
    private final Channel channel;
    private final Sftp sftp;
    private final byte[] file;
    private final long size;
    private final boolean canFsync;

    SshHandle(Session session, Channel channel, Sftp sftp, byte[] file, long size, boolean canFsync) {
        this.session = session;
        this.channel = channel;
        this.sftp = sftp;
        this.file = file;
        this.size = size;
        this.canFsync = canFsync;
    }

    @Override public long getSize() { return size; }

    @Override public boolean canWrite() { return true; }

    @Override public boolean canFlush() { return canFsync; }

    @Override public boolean canMultiConn() { return canFsync; }

    @Override
    public void pread(IoBuffer buf, long offset, int flags) {
        try {
            sftp.read(file, offset, buf.segment());
        } catch (IOException e) {
            throw failure("read", e);
        }
    }

    @Override
    public void pwrite(IoBuffer buf, long offset, int flags) {
        try {
            sftp.write(file, offset, buf.segment());
        } catch (IOException e) {
            throw failure("write", e);
        }
    }

    @Override
    public void flush(int flags) {
        try {
            sftp.fsync(file);
        } catch (IOException e) {
            throw failure("fsync", e);
        }
    }

    @Override
    public void close() {
        try {
            sftp.close(file);
        } catch (IOException e) {
            Nbdkit.debug("ssh: closing the remote file: " + e.getMessage());
        } finally {
            channel.disconnect();
            session.disconnect();
        }
    }

    /** nbdkit's {@code OP failed: ERROR} line, with the SFTP status's errno or EIO. */
    private static PluginException failure(String op, IOException e) {
        if (e instanceof SftpStatusException s) {
            String what = s.code() == SftpStatusException.EOF ? "unexpected end of file" : s.describe();
            return new PluginException(s.code() == SftpStatusException.EOF ? Errno.EIO : s.errno(), op + " failed: " + what, e);
        }
        return new PluginException(Errno.EIO, op + " failed: " + e.getMessage(), e);
    }
}
