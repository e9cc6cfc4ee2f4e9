package dev.jnbdkit.filters.ext2;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** An image file as the reader's {@link BlockDevice}, for the unit tests. */
final class FileDevice implements BlockDevice, AutoCloseable {
    private final FileChannel ch;

    FileDevice(Path image) {
        try {
            ch = FileChannel.open(image, StandardOpenOption.READ, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public long size() {
        try {
            return ch.size();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void read(long offset, ByteBuffer dst) {
        try {
            ByteBuffer d = dst.duplicate();
            while (d.hasRemaining()) {
                if (ch.read(d, offset + (d.position() - dst.position())) < 0) throw new IOException("end of image");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void write(long offset, ByteBuffer src) {
        try {
            ByteBuffer s = src.duplicate();
            while (s.hasRemaining()) ch.write(s, offset + (s.position() - src.position()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The bytes of {@code [offset, offset + length)} of a file, through its pieces (holes as zeros). */
    byte[] read(Ext2File f, long offset, int length) {
        byte[] out = new byte[length];
        for (Ext2File.Piece p : f.pieces(offset, length)) {
            if (p.kind() != Ext2File.Kind.DATA) continue;
            ByteBuffer b = ByteBuffer.wrap(out, (int) (p.fileOffset() - offset), (int) p.length()).slice();
            read(p.imageOffset(), b);
        }
        return out;
    }

    @Override
    public void close() throws IOException { ch.close(); }
}
