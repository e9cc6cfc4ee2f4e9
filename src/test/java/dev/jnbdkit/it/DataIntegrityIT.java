package dev.jnbdkit.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A 1 GiB memory disk is read, written, zeroed, trimmed, mapped and compared correctly by
 * qemu-io, qemu-img, nbdcopy, nbdinfo and fio, over TCP, a Unix socket and socket activation
 * (and, all in one captive run, over --run).
 */
class DataIntegrityIT extends ItBase {
    static final long GIB = 1L << 30;
    static final long MIB = 1L << 20;

    static Cmd qemuIo(String uri, String... cmds) {
        List<String> a = new ArrayList<>(List.of("qemu-io", "-f", "raw", uri));
        for (String c : cmds) { a.add("-c"); a.add(c); }
        return Cmd.of(a);
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void qemuIoPatternsZeroesAndDiscards(Transport t) {
        Server s = t.start(tmp, "memory", "1G");
        String u = s.uri();
        qemuIo(u,
                "read -P 0 0 1M",                              // a fresh disk reads as zeroes
                "write -P 0xab 0 1M", "read -P 0xab 0 1M",
                "write -f -P 0xcd 1M 1M", "read -P 0xcd 1M 1M", // FUA write
                "write -P 0x11 1073676288 64k", "read -P 0x11 1073676288 64k", // last 64k
                "write -P 0x22 4095 3", "read -P 0x22 4095 3",  // unaligned, spans two blocks
                "read -P 0xab 0 4095", "read -P 0xab 4098 1044478",
                "write -z 0 512k", "read -P 0 0 512k", "read -P 0xab 512k 512k",   // WRITE_ZEROES
                "write -z -u 1M 256k", "read -P 0 1M 256k", "read -P 0xcd 1280k 768k", // may trim
                "discard 1536k 512k", "read -P 0 1536k 512k", "read -P 0xcd 1280k 256k", // TRIM
                "flush").ok();
        // A new connection sees all of it.
        qemuIo(u, "read -P 0 0 512k", "read -P 0xab 512k 512k", "read -P 0 1M 256k",
                "read -P 0xcd 1280k 256k", "read -P 0 1536k 512k",
                "read -P 0x11 1073676288 64k").ok();
        s.stop();
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void nbdcopyRoundTrip(Transport t) throws IOException {
        Path src = sparseSource("src.img");
        Server s = t.start(tmp, "memory", "1G");
        Cmd.of("nbdcopy", "--connections=4", "--flush", src.toString(), s.uri()).ok();
        Path out1 = tmp.resolve("out1.img");
        Cmd.of("nbdcopy", "--connections=4", s.uri(), out1.toString()).ok();
        assertFilesEqual(src, out1);
        Path out2 = tmp.resolve("out2.img");
        Cmd.of("nbdcopy", "--connections=1", "--requests=1", s.uri(), out2.toString()).ok();
        assertFilesEqual(src, out2);
        // Over the whole disk, including the untouched (zero) parts, the copies agree.
        Cmd.of("qemu-img", "compare", "-f", "raw", "-F", "raw", src.toString(), s.uri()).ok();
        s.stop();
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void qemuImgConvertCompareInfo(Transport t) throws IOException {
        Path src = sparseSource("src.img");
        Server s = t.start(tmp, "memory", "1G");
        Json info = Json.parse(Cmd.of("qemu-img", "info", "--output=json", "-f", "raw", s.uri()).ok().out());
        assertEquals(GIB, info.get("virtual-size").asLong(), "qemu-img info virtual-size");
        Cmd.of("qemu-img", "convert", "-n", "-f", "raw", "-O", "raw", src.toString(), s.uri()).ok();
        Cmd.of("qemu-img", "compare", "-f", "raw", "-F", "raw", src.toString(), s.uri()).ok();
        Path out = tmp.resolve("out.img");
        Cmd.of("qemu-img", "convert", "-f", "raw", "-O", "raw", s.uri(), out.toString()).ok();
        assertFilesEqual(src, out);
        // A one-byte difference is found (qemu-img compare exits 1 when images differ).
        qemuIo(s.uri(), "write -P 0x01 300M 1").ok();
        Cmd.Result r = Cmd.of("qemu-img", "compare", "-f", "raw", "-F", "raw", src.toString(), s.uri()).exit(1);
        assertTrue(r.out().contains("314572800"), "difference at offset 300M:\n" + r);
        s.stop();
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void fioVerifyQd16(Transport t) {
        Server s = t.start(tmp, "memory", "1G");
        Cmd.of("fio", "--name=verify", "--ioengine=nbd", "--uri=" + s.uri(),
                "--rw=randwrite", "--bs=64k", "--iodepth=16", "--size=256M", "--offset=512M",
                "--verify=crc32c", "--verify_state_save=0", "--do_verify=1", "--verify_fatal=1", "--verify_backlog=512",
                "--randrepeat=1", "--output-format=normal").ok();
        Cmd.of("fio", "--name=mixed", "--ioengine=nbd", "--uri=" + s.uri(),
                "--rw=randrw", "--bsrange=4k-256k", "--iodepth=16", "--size=64M",
                "--verify=crc32c", "--verify_state_save=0", "--do_verify=1", "--verify_fatal=1", "--numjobs=1").ok();
        s.stop();
    }

    /** Fresh disk: one hole; data where written; zeroes and trims give zero/hole again. */
    @ParameterizedTest
    @EnumSource(Transport.class)
    void zeroAndTrimThenMap(Transport t) {
        Server s = t.start(tmp, "memory", "1G");
        List<long[]> m = map(s.uri());
        assertEquals(List.of(List.of(0L, GIB, 3L)), asLists(m), "a fresh disk is one hole");
        qemuIo(s.uri(), "write -P 0x77 0 8M").ok();
        m = map(s.uri());
        assertRange(m, 0, 8 * MIB, 0, 3, "written data");
        assertRange(m, 8 * MIB, GIB - 8 * MIB, 3, 3, "untouched");
        qemuIo(s.uri(), "write -z 0 2M", "write -z -u 2M 2M", "discard 4M 2M").ok();
        m = map(s.uri());
        assertRange(m, 0, 4 * MIB, 2, 2, "zeroed");
        assertRange(m, 4 * MIB, 2 * MIB, 3, 3, "trimmed (the memory plugin is sparse)");
        assertRange(m, 6 * MIB, 2 * MIB, 0, 3, "still data");
        qemuIo(s.uri(), "read -P 0 0 6M", "read -P 0x77 6M 2M").ok();
        // qemu-img map agrees.
        Json qm = Json.parse(Cmd.of("qemu-img", "map", "--output=json", "-f", "raw", s.uri()).ok().out());
        for (Json e : qm.items()) {
            long start = e.get("start").asLong(), len = e.get("length").asLong();
            boolean data = e.get("data").asBool(), zero = e.get("zero").asBool();
            if (start + len <= 6 * MIB) assertTrue(zero, "qemu-img map: zero at " + start);
            if (start >= 6 * MIB && start + len <= 8 * MIB) assertTrue(data && !zero, "data at " + start);
            if (start >= 8 * MIB) assertTrue(zero && !data, "hole at " + start);
        }
        s.stop();
    }

    /** All of the above, captive: one --run command line, a private socket. */
    @Test
    void captiveRun() throws IOException {
        Path src = sparseSource("src.img");
        Path out = tmp.resolve("out.img");
        String script = String.join(" && ",
                "export PATH=/usr/bin:$PATH",
                "qemu-io -f raw \"$uri\" -c 'write -P 0xab 0 1M' -c 'read -P 0xab 0 1M' "
                        + "-c 'write -z 0 4k' -c 'read -P 0 0 4k' -c 'discard 1M 1M' -c flush",
                "nbdcopy --connections=4 " + src + " \"$uri\"",
                "nbdcopy \"$uri\" " + out,
                "qemu-img compare -f raw -F raw " + src + " \"$uri\"",
                "nbdinfo --map \"$uri\" > /dev/null",
                "fio --name=v --ioengine=nbd --uri=\"$uri\" --rw=randwrite --bs=16k --iodepth=16 "
                        + "--size=32M --verify=crc32c --verify_state_save=0 --do_verify=1 --verify_fatal=1 > /dev/null");
        runServer("-U", "-", "memory", "1G", "--run", script).ok();
        assertFilesEqual(src, out);
    }

    // ---- helpers ------------------------------------------------------------------------

    /** A sparse 1 GiB file with 16 random 2 MiB regions spread over it (and its end). */
    Path sparseSource(String name) throws IOException {
        Path p = file(name, GIB);
        Random rnd = new Random(42);
        byte[] buf = new byte[(int) (2 * MIB)];
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
            for (int i = 0; i < 16; i++) {
                rnd.nextBytes(buf);
                long off = i == 15 ? GIB - buf.length : i * 64 * MIB + (i * 12345L) % MIB;
                f.seek(off);
                f.write(buf);
            }
        }
        return p;
    }

    /** nbdinfo --map --json, adjacent extents of the same type merged: {offset, length, type}. */
    static List<long[]> map(String uri) {
        Json j = nbdinfoJson("--map", uri);
        List<long[]> l = new ArrayList<>();
        for (Json e : j.items()) {
            long off = e.get("offset").asLong(), len = e.get("length").asLong(), type = e.get("type").asLong();
            if (!l.isEmpty()) {
                long[] last = l.get(l.size() - 1);
                assertEquals(last[0] + last[1], off, "extents are contiguous: " + j);
                if (last[2] == type) { last[1] += len; continue; }
            }
            l.add(new long[] {off, len, type});
        }
        return l;
    }

    static List<List<Long>> asLists(List<long[]> m) {
        List<List<Long>> l = new ArrayList<>();
        for (long[] e : m) l.add(List.of(e[0], e[1], e[2]));
        return l;
    }

    /** Every extent overlapping [off, off+len) has (type & mask) == want. */
    static void assertRange(List<long[]> m, long off, long len, long want, long mask, String what) {
        long covered = 0;
        for (long[] e : m) {
            long s = Math.max(off, e[0]), end = Math.min(off + len, e[0] + e[1]);
            if (s >= end) continue;
            covered += end - s;
            assertEquals(want, e[2] & mask, what + ": extent " + e[0] + "+" + e[1] + " type " + e[2]
                    + " in map " + asLists(m));
        }
        assertEquals(len, covered, what + ": map covers the range " + asLists(m));
    }
}
