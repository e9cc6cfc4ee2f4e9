package dev.jnbdkit.backend;

import dev.jnbdkit.protocol.Nbd;
import dev.jnbdkit.server.NbdError;
import dev.jnbdkit.spi.CacheMode;
import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.Extent;
import dev.jnbdkit.spi.Flags;
import dev.jnbdkit.spi.FuaMode;
import dev.jnbdkit.spi.IoBuffer;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ExportSessionTest {
    private static final List<String> CAN = List.of("can_write", "can_flush", "can_fua", "can_trim", "can_zero",
            "can_fast_zero", "can_extents", "can_cache", "can_multi_conn", "is_rotational", "block_size",
            "export_description", "get_size");

    private static ExportSession open(FakePlugin p) { return ExportSession.open(Stack.of(p, false)); }

    private static IoBuffer data(int n, byte fill) {
        IoBuffer b = BufferPool.shared().allocate(n);
        b.segment().fill(fill);
        return b;
    }

    private static int nbdError(Runnable r) {
        return assertThrows(NbdError.class, r::run).code();
    }

    @Test
    void capabilitiesAreAskedOncePerConnection() {
        FakePlugin p = new FakePlugin();
        p.canExtents = true;
        p.cache = CacheMode.EMULATE;
        try (ExportSession s = open(p)) {
            IoBuffer b = data(512, (byte) 1);
            for (int i = 0; i < 3; i++) {
                s.write(b, 0, true);
                s.read(b, 0, false);
                s.zero(512, 0, true, true, false);
                s.trim(512, 0, true);
                s.flush();
                s.cache(512, 0);
                s.extents(512, 0, false);
                assertTrue(s.canFua() && s.canTrim() && s.canZero() && s.canFlush() && s.canCache() && s.canExtents());
            }
            b.release();
        }
        for (String c : CAN) assertEquals(1, p.calls(c), c);
        try (ExportSession s2 = open(p)) {
            s2.flush();
        }
        for (String c : CAN) assertEquals(2, p.calls(c), c + " after a second connection");
        assertEquals(2, p.calls("close"));
    }

    @Test
    void readonlyBackendDoesNotAskWriteCapabilities() {
        FakePlugin p = new FakePlugin();
        try (ExportSession s = ExportSession.open(Stack.of(p, true))) {
            assertFalse(s.canWrite());
            assertFalse(s.canFua());
            assertFalse(s.canTrim());
            assertFalse(s.canZero());
        }
        for (String c : List.of("can_write", "can_fua", "can_trim", "can_zero", "can_fast_zero")) {
            assertEquals(0, p.calls(c), c);
        }
    }

    @Test
    void fuaEmulatedByFlush() {
        FakePlugin p = new FakePlugin();
        p.fua = FuaMode.EMULATE;
        try (ExportSession s = open(p)) {
            IoBuffer b = data(16, (byte) 7);
            s.write(b, 0, false);
            assertEquals(List.of("pwrite 0 16 flags=0"), p.log);
            p.log.clear();
            s.write(b, 0, true);
            assertEquals(List.of("pwrite 0 16 flags=0", "flush flags=0"), p.log);
            p.log.clear();
            s.trim(16, 0, true);
            assertEquals(List.of("trim 0 16 flags=0", "flush flags=0"), p.log);
            p.log.clear();
            s.zero(16, 0, false, true, false);
            assertEquals(List.of("zero 0 16 flags=0", "flush flags=0"), p.log);
            b.release();
        }
    }

    @Test
    void fuaNativePassesTheFlag() {
        FakePlugin p = new FakePlugin();
        p.fua = FuaMode.NATIVE;
        try (ExportSession s = open(p)) {
            IoBuffer b = data(16, (byte) 7);
            s.write(b, 32, true);
            s.trim(16, 0, true);
            s.zero(16, 0, true, true, false);
            s.write(b, 32, false);
            b.release();
        }
        assertEquals(List.of("pwrite 32 16 flags=" + Flags.FUA, "trim 0 16 flags=" + Flags.FUA,
                "zero 0 16 flags=" + (Flags.FUA | Flags.MAY_TRIM), "pwrite 32 16 flags=0"), p.log);
        assertEquals(0, p.calls("flush"));
    }

    @Test
    void fuaFollowsCanFuaNotCanFlush() {
        // nbdkit-plugin(3): with EMULATE "the .flush callback must work (even if .can_flush returns false)".
        FakePlugin p = new FakePlugin();
        p.canFlush = false;
        p.fua = FuaMode.EMULATE;
        try (ExportSession s = open(p)) {
            assertTrue(s.canFua());
        }
        p.fua = FuaMode.NONE;
        p.canFlush = true;
        try (ExportSession s = open(p)) {
            assertFalse(s.canFua());
        }
    }

    @Test
    void zeroThroughThePlugin() {
        FakePlugin p = new FakePlugin();
        try (ExportSession s = open(p)) {
            s.zero(100, 200, true, false, false);
            s.zero(100, 200, false, false, true);
        }
        assertEquals(List.of("zero 200 100 flags=" + Flags.MAY_TRIM, "zero 200 100 flags=" + Flags.FAST_ZERO), p.log);
    }

    @Test
    void zeroFallsBackToPwriteWhenThePluginCannotZero() {
        FakePlugin p = new FakePlugin();
        p.canZero = false;
        p.size = 4 << 20;
        p.storedBytes = 4 << 20;
        java.util.Arrays.fill(p.disk(), (byte) 0x55);
        long len = (2L << 20) + 100; // more than one emulation chunk
        try (ExportSession s = open(p)) {
            s.zero(len, 10, true, false, false);
        }
        assertEquals(0, p.calls("zero"));
        assertEquals(3, p.calls("pwrite"));
        assertEquals(List.of("pwrite 10 1048576 flags=0", "pwrite 1048586 1048576 flags=0", "pwrite 2097162 100 flags=0"), p.log);
        byte[] d = p.disk();
        assertEquals(0x55, d[9]);
        for (long i = 10; i < 10 + len; i++) if (d[(int) i] != 0) throw new AssertionError("byte " + i + " not zeroed");
        assertEquals(0x55, d[(int) (10 + len)]);
    }

    @Test
    void zeroFallsBackToPwriteOnEnotsup() {
        FakePlugin p = new FakePlugin();
        p.failWith.put("zero", Errno.ENOTSUP);
        java.util.Arrays.fill(p.disk(), (byte) 0x55);
        try (ExportSession s = open(p)) {
            s.zero(64, 0, true, true, false);
        }
        assertEquals(List.of("zero 0 64 flags=" + Flags.MAY_TRIM, "pwrite 0 64 flags=0", "flush flags=0"), p.log);
        assertEquals(0, p.disk()[63]);
        assertEquals(0x55, p.disk()[64]);
    }

    @Test
    void fastZeroFailsFastWithoutWriting() {
        FakePlugin p = new FakePlugin();
        p.failWith.put("zero", Errno.ENOTSUP);
        try (ExportSession s = open(p)) {
            assertEquals(Nbd.ENOTSUP, nbdError(() -> s.zero(64, 0, true, false, true)));
        }
        assertEquals(0, p.calls("pwrite"));

        FakePlugin q = new FakePlugin();
        q.canZero = false;
        try (ExportSession s = open(q)) {
            assertTrue(s.canZero(), "WRITE_ZEROES is still offered (emulated)");
            assertEquals(Nbd.ENOTSUP, nbdError(() -> s.zero(64, 0, true, false, true)));
        }
        assertEquals(0, q.calls("pwrite"));
        assertEquals(0, q.calls("zero"));
    }

    @Test
    void zeroOtherErrorsAreMapped() {
        FakePlugin p = new FakePlugin();
        p.failWith.put("zero", Errno.ENOSPC);
        try (ExportSession s = open(p)) {
            assertEquals(Nbd.ENOSPC, nbdError(() -> s.zero(64, 0, true, false, false)));
            assertEquals(Nbd.ENOSPC, nbdError(() -> s.zero(64, 0, true, false, true)));
        }
        assertEquals(0, p.calls("pwrite"));
        p.failWith.put("zero", Errno.EOVERFLOW);
        try (ExportSession s = open(p)) {
            assertEquals(Nbd.EINVAL, nbdError(() -> s.zero(64, 0, true, false, true)));
        }
    }

    @Test
    void cacheEmulatedByReading() {
        FakePlugin p = new FakePlugin();
        p.size = 4 << 20;
        p.cache = CacheMode.EMULATE;
        try (ExportSession s = open(p)) {
            assertTrue(s.canCache());
            s.cache((1 << 20) + 1, 5);
        }
        assertEquals(List.of("pread 5 1048576 flags=0", "pread 1048581 1 flags=0"), p.log);
        assertEquals(0, p.calls("cache"));
    }

    @Test
    void cacheNative() {
        FakePlugin p = new FakePlugin();
        p.cache = CacheMode.NATIVE;
        try (ExportSession s = open(p)) {
            s.cache(4096, 8192);
        }
        assertEquals(List.of("cache 8192 4096 flags=0"), p.log);
    }

    @Test
    void cacheNoneIsNotOffered() {
        FakePlugin p = new FakePlugin();
        p.cache = null; // a plugin answering null means none
        try (ExportSession s = open(p)) {
            assertFalse(s.canCache());
        }
    }

    @Test
    void extentsWhenThePluginHasNone() {
        FakePlugin p = new FakePlugin();
        p.canExtents = false;
        try (ExportSession s = open(p)) {
            ExtentList l = s.extents(1000, 24, false);
            assertEquals(1, l.count());
            assertEquals(1000, l.lengths()[0]);
            assertEquals(Extent.DATA, l.types()[0]);
        }
        assertEquals(0, p.calls("extents"));
    }

    @Test
    void extentsFromThePlugin() {
        FakePlugin p = new FakePlugin();
        p.canExtents = true;
        p.extentsBody = (off, sink) -> {
            sink.add(0, 4096, Extent.DATA);
            sink.add(4096, 8192, Extent.HOLE | Extent.ZERO);
        };
        try (ExportSession s = open(p)) {
            ExtentList l = s.extents(8192, 2048, false);
            assertArrayEquals(new long[] {2048, 6144}, java.util.Arrays.copyOf(l.lengths(), l.count()));
            ExtentList one = s.extents(8192, 2048, true);
            assertEquals(1, one.count());
            assertEquals(2048, one.lengths()[0]);
        }
        assertEquals(List.of("extents 2048 8192 flags=0", "extents 2048 8192 flags=" + Flags.REQ_ONE), p.log);
    }

    @Test
    void extentsErrors() {
        FakePlugin p = new FakePlugin();
        p.canExtents = true;
        p.extentsBody = (off, sink) -> { };
        try (ExportSession s = open(p)) {
            assertEquals(Nbd.EINVAL, nbdError(() -> s.extents(100, 0, false)), "no extent at all");
        }
        p.extentsBody = (off, sink) -> { sink.add(0, 10, 0); sink.add(20, 10, 0); };
        try (ExportSession s = open(p)) {
            assertEquals(Nbd.EINVAL, nbdError(() -> s.extents(100, 0, false)), "gap");
        }
    }

    @Test
    void dataErrorsAreMapped() {
        FakePlugin p = new FakePlugin();
        IoBuffer b = data(16, (byte) 0);
        try (ExportSession s = open(p)) {
            p.failWith.put("pread", Errno.EOVERFLOW);
            assertEquals(Nbd.EOVERFLOW, nbdError(() -> s.read(b, 0, true)));
            assertEquals(Nbd.EINVAL, nbdError(() -> s.read(b, 0, false)));
            p.failWith.put("pread", Errno.ENOTSUP);
            assertEquals(Nbd.EINVAL, nbdError(() -> s.read(b, 0, false)));
            p.failWith.put("pwrite", Errno.EROFS);
            assertEquals(Nbd.EPERM, nbdError(() -> s.write(b, 0, false)));
            p.failWith.put("pwrite", Errno.EDQUOT);
            assertEquals(Nbd.ENOSPC, nbdError(() -> s.write(b, 0, false)));
            p.failWith.put("flush", Errno.EIO);
            assertEquals(Nbd.EIO, nbdError(s::flush));
            p.failWith.remove("pwrite");
            assertEquals(Nbd.EIO, nbdError(() -> s.write(b, 0, true)), "emulated FUA flush failure");
            p.failWith.put("trim", Errno.ESHUTDOWN);
            assertEquals(Nbd.ESHUTDOWN, nbdError(() -> s.trim(16, 0, false)));
            p.failWith.put("cache", Errno.ENOMEM);
        }
        b.release();
    }

    @Test
    void unexpectedExceptionsAreEio() {
        FakePlugin p = new FakePlugin() {
            @Override public dev.jnbdkit.spi.Handle open(dev.jnbdkit.spi.OpenContext c) {
                dev.jnbdkit.spi.Handle h = super.open(c);
                return new dev.jnbdkit.spi.Handle() {
                    @Override public long getSize() { return h.getSize(); }
                    @Override public void pread(IoBuffer buf, long offset, int flags) {
                        throw new IllegalStateException("boom");
                    }
                };
            }
        };
        IoBuffer b = data(16, (byte) 0);
        try (ExportSession s = open(p)) {
            assertEquals(Nbd.EIO, nbdError(() -> s.read(b, 0, false)));
        }
        b.release();
    }

    @Test
    void failingOpenAndCapabilities() {
        FakePlugin p = new FakePlugin();
        p.failWith.put("open", Errno.EPERM);
        assertEquals(Nbd.EPERM, nbdError(() -> open(p)));
        p.failWith.clear();
        p.failWith.put("can_write", Errno.EIO);
        assertEquals(Nbd.EIO, nbdError(() -> open(p)));
        assertEquals(0, p.openHandles.get(), "handle closed when a capability fails");
        p.failWith.clear();
        p.size = -1;
        assertEquals(Nbd.EIO, nbdError(() -> open(p)));
        assertEquals(0, p.openHandles.get());
    }

    @Test
    void readWriteRoundTrip() {
        FakePlugin p = new FakePlugin();
        try (ExportSession s = open(p)) {
            IoBuffer w = data(8, (byte) 0);
            for (int i = 0; i < 8; i++) w.segment().set(ValueLayout.JAVA_BYTE, i, (byte) (i + 1));
            s.write(w, 100, false);
            IoBuffer r = data(8, (byte) 9);
            s.read(r, 100, false);
            assertArrayEquals(new byte[] {1, 2, 3, 4, 5, 6, 7, 8}, r.segment().toArray(ValueLayout.JAVA_BYTE));
            w.release();
            r.release();
        }
    }

    @Test
    void readViewsAreCheckedAndFallBackToPread() {
        FakePlugin p = new FakePlugin();
        try (ExportSession s = open(p)) {
            assertNull(s.readViews(512, 0, false), "a handle with no views to offer: use pread");
            MemorySegment mem = MemorySegment.ofArray(new byte[1024]);
            p.viewsBody = (count, offset) -> new MemorySegment[] {
                mem.asSlice(offset, count / 2), mem.asSlice(offset + count / 2, count / 2)};
            assertEquals(512, Arrays.stream(s.readViews(512, 0, false)).mapToLong(MemorySegment::byteSize).sum());
            p.viewsBody = (count, offset) -> new MemorySegment[] {mem.asSlice(offset, count - 1)};
            assertEquals(Nbd.EIO, nbdError(() -> s.readViews(512, 0, false)), "views one byte short are a plugin bug");
            p.failWith.put("pread_views", Errno.ENOSPC);
            assertEquals(Nbd.ENOSPC, nbdError(() -> s.readViews(512, 0, false)));
        }
    }

    @Test
    void writeViewsAreCheckedAndEmulateFuaAfterTheData() {
        FakePlugin p = new FakePlugin();
        try (ExportSession s = open(p)) {
            assertNull(s.writeViews(512, 0, false), "a handle with no views to offer: use pwrite");
        }
        MemorySegment mem = MemorySegment.ofArray(new byte[1024]);
        p.writeViewsBody = (count, offset) -> new MemorySegment[] {mem.asSlice(offset, count)};
        try (ExportSession s = open(p)) {
            assertEquals(512, s.writeViews(512, 0, true)[0].byteSize());
            int flushes = p.calls("flush");
            s.writtenThroughViews(true);
            assertEquals(flushes + 1, p.calls("flush"), "FUA emulated by a flush once the data is in");
            p.writeViewsBody = (count, offset) -> new MemorySegment[] {mem.asSlice(offset, count + 1)};
            assertEquals(Nbd.EIO, nbdError(() -> s.writeViews(512, 0, false)), "views one byte too long are a plugin bug");
        }
        p.canWrite = false;
        try (ExportSession s = open(p)) {
            assertNull(s.writeViews(512, 0, false), "a read-only handle is never written through views");
        }
    }
}
