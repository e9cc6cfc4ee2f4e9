package dev.jnbdkit.filters.ext2;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * One regular file of an {@link Ext2Fs}, as byte ranges of the image: a request on the file
 * becomes {@link Piece}s, each stored at one place in the image or reading as zeros (a hole,
 * or an unwritten extent). A file with inline data is stored inside its inode; its pieces point
 * there, and a write to it rewrites the inode (with its checksum).
 */
final class Ext2File {
    enum Kind { DATA, HOLE, UNWRITTEN }

    /** {@code length} bytes of the file from {@code fileOffset}, at {@code imageOffset} of the image (-1 for a hole). */
    record Piece(long fileOffset, long length, long imageOffset, Kind kind) {}

    private final Ext2Fs fs;
    private final Inode inode;
    private final BlockMap map;

    Ext2File(Ext2Fs fs, Inode inode) {
        this.fs = fs;
        this.inode = inode;
        this.map = inode.hasInlineData() ? null : fs.blockMap(inode);
    }

    long size() { return inode.size(); }

    boolean inline() { return map == null; }

    Inode inode() { return inode; }

    /** Where {@code [offset, offset + length)} of the file is, in file order, neighbours of one kind merged. */
    List<Piece> pieces(long offset, long length) {
        List<Piece> out = new ArrayList<>();
        if (map == null) {
            inlinePieces(offset, length, out);
            return out;
        }
        int bs = fs.blockSize();
        long pos = offset, end = offset + length;
        while (pos < end) {
            long logical = pos / bs;
            long in = pos % bs;
            BlockMap.Run run = map.find(logical);
            long want = end - pos;
            // run.count() blocks from this block on, less the part of this block before pos
            long runBytes = run.count() > (want + in) / bs ? Long.MAX_VALUE : run.count() * bs - in;
            long n = Math.min(want, runBytes);
            Kind kind = run.hole() ? Kind.HOLE : run.unwritten() ? Kind.UNWRITTEN : Kind.DATA;
            long image = run.hole() ? -1 : run.physical() * bs + in;
            add(out, new Piece(pos, n, image, kind));
            pos += n;
        }
        return out;
    }

    private void inlinePieces(long offset, long length, List<Piece> out) {
        InlineData d = InlineData.of(inode);
        long end = offset + length;
        if (end > d.bytes().length) throw new Ext2Exception(Ext2Error.FILE_TOO_BIG, "inline data is shorter than the file");
        for (long pos = offset; pos < end; ) {
            int k = (int) pos;
            // i_block, then the attribute's value: each part contiguous in the inode
            long partEnd = k < Inode.I_BLOCK_SIZE ? Math.min(end, Inode.I_BLOCK_SIZE) : end;
            add(out, new Piece(pos, partEnd - pos, inode.location() + d.inodeOffset(k), Kind.DATA));
            pos = partEnd;
        }
    }

    private static void add(List<Piece> out, Piece p) {
        if (!out.isEmpty()) {
            Piece last = out.getLast();
            boolean joins = last.kind() == p.kind() && last.fileOffset() + last.length() == p.fileOffset()
                    && (p.kind() == Kind.HOLE || last.imageOffset() + last.length() == p.imageOffset());
            if (joins) {
                out.set(out.size() - 1, new Piece(last.fileOffset(), last.length() + p.length(), last.imageOffset(), last.kind()));
                return;
            }
        }
        out.add(p);
    }

    /**
     * Writes {@code data} at {@code offset} of an inline file: into a fresh copy of the inode,
     * then the inode back to the image with its checksums (the attribute's hash, if it has one,
     * and the inode's with metadata_csum).
     */
    Inode writeInline(long offset, byte[] data) {
        fs.invalidate(inode.location(), inode.raw().length);
        Inode fresh = fs.inode(inode.number());
        InlineData d = InlineData.of(fresh);
        if (offset + data.length > d.bytes().length) throw new Ext2Exception(Ext2Error.FILE_TOO_BIG, "inline data is shorter than the file");
        byte[] raw = fresh.raw();
        for (int i = 0; i < data.length; i++) raw[d.inodeOffset((int) offset + i)] = data[i];
        if (d.valueOffset() >= 0) updateAttributeHash(raw, d);
        fs.writeInode(fresh);
        return fresh;
    }

    /** e2fsprogs' ext2fs_ext_attr_hash_entry over system.data's name and (new) value; a zero hash is left zero. */
    private static void updateAttributeHash(byte[] raw, InlineData d) {
        ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
        int entry = entryOf(raw, d);
        if (entry < 0 || b.getInt(entry + 12) == 0) return;
        int nameLen = raw[entry] & 0xff;
        long valueSize = Integer.toUnsignedLong(b.getInt(entry + 8));
        int hash = 0;
        for (int n = 0; n < nameLen; n++) hash = (hash << 5) ^ (hash >>> 27) ^ raw[entry + 16 + n];
        for (long w = 0; w < (valueSize + 3) / 4; w++) {
            int at = d.valueOffset() + (int) w * 4;
            int word = 0;
            for (int i = 0; i < 4; i++) if (at + i < raw.length) word |= (raw[at + i] & 0xff) << (8 * i);
            hash = (hash << 16) ^ (hash >>> 16) ^ word;
        }
        b.putInt(entry + 12, hash);
    }

    /** The system.data entry whose value is at {@code d.valueOffset()}. */
    private static int entryOf(byte[] raw, InlineData d) {
        ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
        int start = Inode.GOOD_OLD_SIZE + Short.toUnsignedInt(b.getShort(0x80));
        for (int entry = start + 4; entry + 16 <= raw.length && b.getInt(entry) != 0; entry += (16 + (raw[entry] & 0xff) + 3) & ~3) {
            if (start + 4 + Short.toUnsignedInt(b.getShort(entry + 2)) == d.valueOffset() && b.getInt(entry + 4) == 0) return entry;
        }
        return -1;
    }
}
