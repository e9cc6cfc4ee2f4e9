package dev.jnbdkit.filters.ext2;

import dev.jnbdkit.spi.CacheMode;
import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.Extent;
import dev.jnbdkit.spi.ExtentSink;
import dev.jnbdkit.spi.FilterHandle;
import dev.jnbdkit.spi.Flags;
import dev.jnbdkit.spi.FuaMode;
import dev.jnbdkit.spi.IoBuffer;
import dev.jnbdkit.spi.Next;
import dev.jnbdkit.spi.PluginException;
import dev.jnbdkit.spi.ZeroMode;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

/**
 * One connection of the ext2 filter: at prepare the filesystem is opened on the next layer and
 * the file looked up; requests on the file are then moved to where its blocks are in the image.
 * Holes and unwritten extents read as zeros.
 *
 * <p>Writes go only where the file already has blocks. nbdkit (through libext2fs) would
 * allocate blocks for a write into a hole; this reader does not change the filesystem's
 * allocation, so a write of anything but zeros into a hole or an unwritten extent fails with
 * ENOSPC (and nothing of that request is written); zeros there are accepted, as the file
 * already reads as zeros. Messages have nbdkit's shape: {@code PATH: namei: TEXT} and so on,
 * with the ext2fs library's texts.
 */
final class Ext2Handle implements FilterHandle {
    private final String name;
    private Ext2Fs fs;
    private Ext2File file;

    /** {@code requested}: ext2file's path, or the client's export name. */
    Ext2Handle(String requested) {
        this.name = requested.startsWith("/") ? requested : "/" + requested;
    }

    @Override
    public void prepare(Next next, boolean readonly) {
        next.getSize();
        if (!next.canWrite()) readonly = true;
        try {
            fs = Ext2Fs.open(new NextDevice(next), !readonly);
        } catch (Ext2Exception e) {
            throw new PluginException(Errno.EIO, "open: " + e.getMessage());
        }
        long ino;
        try {
            // "/" is the root directory, refused below as not a regular file
            ino = name.equals("/") ? Ext2Fs.ROOT_INO : new PathResolver(fs).namei(Ext2Fs.ROOT_INO, name.substring(1));
        } catch (Ext2Exception e) {
            throw new PluginException(Errno.EIO, name + ": namei: " + e.getMessage());
        }
        Inode inode;
        try {
            inode = fs.inode(ino);
        } catch (Ext2Exception e) {
            throw new PluginException(Errno.EIO, name + ": inode: " + e.getMessage());
        }
        if (!inode.isRegular()) throw new PluginException(Errno.EIO, name + ": must be a regular file in the disk image");
        try {
            file = new Ext2File(fs, inode);
        } catch (Ext2Exception e) {
            throw new PluginException(Errno.EIO, name + ": open: " + e.getMessage());
        }
    }

    @Override public long getSize(Next next) { return file.size(); }

    @Override
    public String exportDescription(Next next) {
        String base = next.exportDescription();
        return base == null ? null : "embedded '" + name + "' from within ext2 image: " + base;
    }

    @Override public boolean canFlush(Next next) { return true; }

    @Override public FuaMode canFua(Next next) { return FuaMode.NATIVE; }

    @Override public CacheMode canCache(Next next) { return CacheMode.EMULATE; }

    @Override public boolean canMultiConn(Next next) { return false; }

    @Override public boolean canTrim(Next next) { return false; }

    @Override public ZeroMode canZero(Next next) { return ZeroMode.EMULATE; }

    @Override public boolean canFastZero(Next next) { return false; }

    /** The file's own allocation (nbdkit 1.32 passes the image's extents on at the file's offsets instead). */
    @Override public boolean canExtents(Next next) { return true; }

    @Override
    public void extents(Next next, long count, long offset, int flags, ExtentSink extents) {
        for (Ext2File.Piece p : pieces(offset, count, "extents")) {
            int type = switch (p.kind()) {
                case DATA -> Extent.DATA;
                case HOLE -> Extent.HOLE | Extent.ZERO;
                case UNWRITTEN -> Extent.ZERO; // allocated, reads as zeros
            };
            extents.add(p.fileOffset(), p.length(), type);
            if (Flags.has(flags, Flags.REQ_ONE)) return;
        }
    }

    @Override
    public void pread(Next next, IoBuffer buf, long offset, int flags) {
        for (Ext2File.Piece p : pieces(offset, buf.length(), "read")) {
            IoBuffer part = buf.slice(p.fileOffset() - offset, p.length());
            if (p.kind() != Ext2File.Kind.DATA) {
                part.segment().fill((byte) 0);
            } else {
                inImage(next, p, "read");
                next.pread(part, p.imageOffset(), 0);
            }
        }
    }

    @Override
    public void pwrite(Next next, IoBuffer buf, long offset, int flags) {
        List<Ext2File.Piece> pieces = pieces(offset, buf.length(), "write");
        for (Ext2File.Piece p : pieces) {
            if (p.kind() == Ext2File.Kind.DATA) {
                inImage(next, p, "write");
            } else if (!isZero(buf.segment().asSlice(p.fileOffset() - offset, p.length()))) {
                throw new PluginException(Errno.ENOSPC, name + ": write: cannot allocate blocks: the ext2 filter writes only"
                        + " into blocks the file already has, and file offset " + p.fileOffset() + " is "
                        + (p.kind() == Ext2File.Kind.HOLE ? "in a hole" : "in an unwritten extent") + " (" + p.length() + " bytes)");
            }
        }
        boolean fua = Flags.has(flags, Flags.FUA);
        boolean fuaBelow = fua && next.canFua() != FuaMode.NONE;
        boolean flushAfter = fua && !fuaBelow;
        for (Ext2File.Piece p : pieces) {
            if (p.kind() != Ext2File.Kind.DATA) continue;
            IoBuffer part = buf.slice(p.fileOffset() - offset, p.length());
            if (file.inline()) {
                try {
                    file.writeInline(p.fileOffset(), part.segment().toArray(ValueLayout.JAVA_BYTE));
                } catch (Ext2Exception e) {
                    throw new PluginException(Errno.EIO, name + ": write: " + e.getMessage());
                }
                flushAfter |= fua;
            } else {
                next.pwrite(part, p.imageOffset(), fuaBelow ? Flags.FUA : 0);
            }
        }
        if (flushAfter && next.canFlush()) next.flush(0);
    }

    @Override
    public void flush(Next next, int flags) {
        if (next.canFlush()) next.flush(0);
    }

    private List<Ext2File.Piece> pieces(long offset, long length, String what) {
        try {
            return file.pieces(offset, length);
        } catch (Ext2Exception e) {
            throw new PluginException(Errno.EIO, name + ": " + what + ": " + e.getMessage());
        }
    }

    /** A piece of the file that lies past the end of the image (a truncated image) cannot be read or written. */
    private void inImage(Next next, Ext2File.Piece p, String what) {
        if (p.imageOffset() + p.length() > next.getSize()) {
            throw new PluginException(Errno.EIO, name + ": " + what + ": " + Ext2Error.SHORT_READ.message);
        }
    }

    private static boolean isZero(MemorySegment s) {
        long n = s.byteSize(), i = 0;
        for (; i + 8 <= n; i += 8) if (s.get(ValueLayout.JAVA_LONG_UNALIGNED, i) != 0) return false;
        for (; i < n; i++) if (s.get(ValueLayout.JAVA_BYTE, i) != 0) return false;
        return true;
    }
}
