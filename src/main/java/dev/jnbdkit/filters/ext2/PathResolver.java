package dev.jnbdkit.filters.ext2;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Path name lookup as the ext2fs library's ext2fs_namei does it: components are separated by
 * single slashes (an empty component is looked up, and is not found); a leading slash starts at
 * the root; symbolic links met on the way are followed (at most 8 deep, relative ones from the
 * directory that holds them), the last component's is not; a trailing slash names the
 * directory itself.
 */
final class PathResolver {
    static final int MAX_NESTED_LINKS = 8;

    private final Ext2Fs fs;

    PathResolver(Ext2Fs fs) { this.fs = fs; }

    /** The inode of {@code path}, looked up from {@code cwd} (ext2fs_namei(fs, root, cwd, path)). */
    long namei(long cwd, String path) {
        return open(cwd, path.getBytes(StandardCharsets.UTF_8), false, 0);
    }

    private long open(long dir, byte[] path, boolean follow, int links) {
        int at = 0;
        if (path.length > 0 && path[0] == '/') {
            dir = Ext2Fs.ROOT_INO;
            at = 1;
        }
        // every component but the last names a directory to step into
        int slash;
        while ((slash = indexOf(path, '/', at)) >= 0) {
            long ino = Directory.lookup(fs, dir, Arrays.copyOfRange(path, at, slash));
            dir = followLink(dir, ino, links);
            at = slash + 1;
        }
        if (at == path.length) return dir;
        long ino = Directory.lookup(fs, dir, Arrays.copyOfRange(path, at, path.length));
        return follow ? followLink(dir, ino, links) : ino;
    }

    private long followLink(long dir, long ino, int links) {
        Inode inode = fs.inode(ino);
        if (!inode.isSymlink()) return ino;
        if (links >= MAX_NESTED_LINKS) throw new Ext2Exception(Ext2Error.SYMLINK_LOOP);
        return open(dir, target(inode), true, links + 1);
    }

    /** A symbolic link's target: in i_block (fast), inline data, or its first block. */
    byte[] target(Inode link) {
        long size = link.size();
        if (size > 0 && size < Inode.I_BLOCK_SIZE && !link.hasInlineData()) return Arrays.copyOf(link.iBlock(), (int) size);
        if (link.hasInlineData()) {
            byte[] d = InlineData.of(link).bytes();
            return Arrays.copyOf(d, (int) Math.min(size, d.length));
        }
        BlockMap.Run run = fs.blockMap(link).find(0);
        if (run.hole()) return new byte[0];
        ByteBuffer b = fs.block(run.physical());
        byte[] t = new byte[(int) Math.min(size, fs.blockSize())];
        b.get(0, t);
        return t;
    }

    private static int indexOf(byte[] b, char c, int from) {
        for (int i = from; i < b.length; i++) if (b[i] == c) return i;
        return -1;
    }
}
