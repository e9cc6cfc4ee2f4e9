package dev.jnbdkit.plugins.data;

import java.lang.foreign.MemorySegment;

/** Writes an {@link Image} into the data plugin's disk, piece by piece, in order. */
final class ImageWriter {
    /** Repeated units are written in blocks of about this size. */
    private static final int BLOCK = 1 << 20;

    private ImageWriter() {}

    /**
     * With {@code zeroRuns} (the data format), runs of two or more zero bytes are zeroed rather
     * than written, so they stay holes; a single zero byte is written, as nbdkit does. Base64 and
     * raw data are written as they are.
     */
    static void write(Image image, DataStore disk, boolean zeroRuns) {
        for (Image.Piece p : image.pieces()) {
            Image.Content c = p.content();
            long len = c.length();
            if (len == 0) continue;
            if (zeroRuns && len >= 2 && c.allZero()) {
                disk.zero(p.offset(), len);
                continue;
            }
            switch (c) {
                case Image.Bytes(byte[] b) -> disk.write(MemorySegment.ofArray(b), p.offset());
                case Image.Repeated r -> writeRepeated(r, p.offset(), disk);
            }
        }
    }

    private static void writeRepeated(Image.Repeated r, long offset, DataStore disk) {
        int u = r.unit().length;
        long total = r.length();
        int unitsPerBlock = Math.max(1, BLOCK / u);
        byte[] block = new byte[(int) Math.min(total, (long) unitsPerBlock * u)];
        r.copyTo(0, block, 0, block.length);
        long done = 0;
        while (done < total) {
            int n = (int) Math.min(block.length, total - done);
            disk.write(MemorySegment.ofArray(block).asSlice(0, n), offset + done);
            done += n;
        }
    }
}
