package dev.jnbdkit.plugins.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The value of a data expression: a size and the pieces written inside it, in the order they
 * were written (a later piece overwrites an earlier one where they overlap). Bytes covered by no
 * piece are zeros that were never written, which the disk keeps as holes. Repetitions stay
 * compact ({@link Repeated}) so {@code ( 0x55 0xAA )*1000000000} costs nothing until written.
 */
public record Image(long size, List<Piece> pieces) {
    /** Units up to this size are materialized before being repeated. */
    static final int MATERIALIZE_LIMIT = 1 << 20;
    /** A repetition that would copy more pieces than this is refused. */
    static final long MAX_PIECES = 1 << 22;

    public static final Image EMPTY = new Image(0, List.of());

    public Image {
        pieces = List.copyOf(pieces);
    }

    /** Bytes placed at an offset of the image. */
    public record Piece(long offset, Content content) {
        public long end() { return offset + content.length(); }
    }

    /** What a piece holds. */
    public sealed interface Content {
        long length();

        /** The bytes {@code [from, to)} of this content, as one or more contents. */
        List<Content> slice(long from, long to);

        /** Copy bytes {@code [from, from+dst.length-dstOff)} into {@code dst} at {@code dstOff}. */
        void copyTo(long from, byte[] dst, int dstOff, int len);

        /** True if every byte is zero. */
        boolean allZero();
    }

    /** Literal bytes. */
    public record Bytes(byte[] bytes) implements Content {
        @Override public long length() { return bytes.length; }

        @Override public List<Content> slice(long from, long to) {
            return List.of(new Bytes(Arrays.copyOfRange(bytes, (int) from, (int) to)));
        }

        @Override public void copyTo(long from, byte[] dst, int dstOff, int len) {
            System.arraycopy(bytes, (int) from, dst, dstOff, len);
        }

        @Override public boolean allZero() {
            for (byte b : bytes) if (b != 0) return false;
            return true;
        }
    }

    /** {@code unit} repeated {@code times} times. */
    public record Repeated(byte[] unit, long times) implements Content {
        @Override public long length() { return Math.multiplyExact(unit.length, times); }

        @Override public List<Content> slice(long from, long to) {
            long len = to - from;
            int u = unit.length;
            if (len <= MATERIALIZE_LIMIT) {
                byte[] b = new byte[(int) len];
                copyTo(from, b, 0, (int) len);
                return List.of(new Bytes(b));
            }
            List<Content> out = new ArrayList<>(3);
            long pos = from;
            int head = (int) (pos % u);
            if (head != 0) {
                out.add(new Bytes(Arrays.copyOfRange(unit, head, u)));
                pos += u - head;
            }
            long whole = (to - pos) / u;
            if (whole > 0) out.add(new Repeated(unit, whole));
            pos += whole * u;
            if (pos < to) out.add(new Bytes(Arrays.copyOf(unit, (int) (to - pos))));
            return out;
        }

        @Override public void copyTo(long from, byte[] dst, int dstOff, int len) {
            int u = unit.length;
            int in = (int) (from % u);
            int done = 0;
            while (done < len) {
                int n = Math.min(u - in, len - done);
                System.arraycopy(unit, in, dst, dstOff + done, n);
                done += n;
                in = 0;
            }
        }

        @Override public boolean allZero() {
            for (byte b : unit) if (b != 0) return false;
            return true;
        }
    }

    /** An image of just these bytes. */
    public static Image of(byte[] bytes) {
        return bytes.length == 0 ? new Image(0, List.of()) : new Image(bytes.length, List.of(new Piece(0, new Bytes(bytes))));
    }

    /** The bytes of the whole image (only for images up to {@link #MATERIALIZE_LIMIT}). */
    byte[] materialize() {
        byte[] out = new byte[Math.toIntExact(size)];
        for (Piece p : pieces) p.content().copyTo(0, out, (int) p.offset(), (int) p.content().length());
        return out;
    }

    /** This image {@code n} times over. */
    public Image repeat(long n) {
        if (n == 0 || size == 0) return EMPTY;
        long total;
        try {
            total = Math.multiplyExact(size, n);
        } catch (ArithmeticException e) {
            throw DataParser.error("data parameter: *" + n + " makes the disk larger than 2⁶³-1 bytes");
        }
        if (pieces.isEmpty()) return new Image(total, List.of());
        if (pieces.size() == 1 && pieces.getFirst().offset() == 0 && pieces.getFirst().content().length() == size
                && pieces.getFirst().content() instanceof Repeated r) {
            return new Image(total, List.of(new Piece(0, new Repeated(r.unit(), Math.multiplyExact(r.times(), n)))));
        }
        if (size <= MATERIALIZE_LIMIT) {
            return new Image(total, List.of(new Piece(0, new Repeated(materialize(), n))));
        }
        if ((double) pieces.size() * n > MAX_PIECES) {
            throw DataParser.error("data parameter: *" + n + " of a large, fragmented expression is too big to expand");
        }
        List<Piece> out = new ArrayList<>((int) (pieces.size() * n));
        for (long k = 0; k < n; k++) {
            long base = k * size;
            for (Piece p : pieces) out.add(new Piece(base + p.offset(), p.content()));
        }
        return new Image(total, out);
    }

    /** Bytes {@code [from, to)} of this image as an image of its own. */
    public Image slice(long from, long to) {
        if (from < 0 || to > size || from > to) throw DataParser.error("[N:M] does not describe a valid slice");
        List<Piece> out = new ArrayList<>();
        for (Piece p : pieces) {
            long s = Math.max(from, p.offset());
            long e = Math.min(to, p.end());
            if (s >= e) continue;
            long at = s - from;
            for (Content c : p.content().slice(s - p.offset(), e - p.offset())) {
                out.add(new Piece(at, c));
                at += c.length();
            }
        }
        return new Image(to - from, out);
    }

    /** This image cut or padded (with holes) to {@code newSize} bytes. */
    public Image resize(long newSize) {
        if (newSize >= size) return new Image(newSize, pieces);
        Image cut = slice(0, newSize);
        return cut;
    }
}
