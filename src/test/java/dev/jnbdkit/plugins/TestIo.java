package dev.jnbdkit.plugins;

import dev.jnbdkit.spi.ExtentSink;
import dev.jnbdkit.spi.Handle;
import dev.jnbdkit.spi.IoBuffer;
import dev.jnbdkit.spi.PluginException;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/** Helpers for driving a {@link Handle} the way the server does, from byte arrays. */
public final class TestIo {
    private TestIo() {}

    /** An IoBuffer over fresh native memory (as the server's pooled buffers are). */
    public static final class Buf implements IoBuffer, AutoCloseable {
        private final Arena arena = Arena.ofShared();
        private final MemorySegment seg;

        public Buf(long length) { seg = arena.allocate(Math.max(length, 1)).asSlice(0, length); }

        public Buf(byte[] data) {
            this(data.length);
            MemorySegment.copy(data, 0, seg, ValueLayout.JAVA_BYTE, 0, data.length);
        }

        @Override public MemorySegment segment() { return seg; }
        @Override public void retain() {}
        @Override public void release() {}
        @Override public void close() { arena.close(); }

        public byte[] bytes() { return seg.toArray(ValueLayout.JAVA_BYTE); }
    }

    public static byte[] read(Handle h, long offset, int length) {
        try (Buf b = new Buf(length)) {
            // poison first: the plugin must overwrite every byte
            b.segment().fill((byte) 0x5a);
            h.pread(b, offset, 0);
            return b.bytes();
        }
    }

    public static void write(Handle h, long offset, byte[] data) { write(h, offset, data, 0); }

    public static void write(Handle h, long offset, byte[] data, int flags) {
        try (Buf b = new Buf(data)) {
            h.pwrite(b, offset, flags);
        }
    }

    /** One reported extent. */
    public record E(long offset, long length, int type) {}

    /** Collects extents and checks the sink contract: ascending, contiguous, non-empty. */
    public static final class Sink implements ExtentSink {
        public final List<E> list = new ArrayList<>();

        @Override public void add(long offset, long length, int type) {
            if (length <= 0) throw new PluginException("empty extent at " + offset);
            if (!list.isEmpty()) {
                E last = list.getLast();
                if (last.offset + last.length != offset) {
                    throw new AssertionError("extent at " + offset + " does not follow " + last);
                }
            }
            list.add(new E(offset, length, type));
        }

        public long end() { return list.isEmpty() ? -1 : list.getLast().offset + list.getLast().length; }
    }

    public static List<E> extents(Handle h, long offset, long count, int flags) {
        Sink s = new Sink();
        h.extents(count, offset, flags, s);
        return s.list;
    }
}
