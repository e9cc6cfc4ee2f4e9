package dev.jnbdkit.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jnbdkit.it.Server.Impl;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;

/**
 * nbdkit-partition-filter through real clients, differential against nbdkit, over disk images
 * built here: MBR with primaries, an extended partition and two logical partitions; GPT.
 */
class PartitionFilterIT extends FilterItBase {
    static final int S = 512;

    /** Writes an MBR-style table (4 entries of {type, start, sectors}) into the sector at {@code lba}. */
    static void table(FileChannel ch, long lba, int sector, long[][] entries) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(sector).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < entries.length; i++) {
            int at = 0x1be + 16 * i;
            b.put(at + 4, (byte) entries[i][0]);
            b.putInt(at + 8, (int) entries[i][1]);
            b.putInt(at + 12, (int) entries[i][2]);
        }
        b.put(0x1fe, (byte) 0x55).put(0x1ff, (byte) 0xaa);
        ch.write(b, lba * sector);
    }

    /** {@code marker} bytes at {@code offset}: what each partition starts with. */
    static void mark(FileChannel ch, long offset, String marker) throws IOException {
        ch.write(ByteBuffer.wrap(marker.repeat(512).getBytes()), offset);
    }

    Path mbrDisk() throws IOException {
        Path p = file("mbr.img", 8 << 20);
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
            table(ch, 0, S, new long[][] {{0x83, 2048, 2048}, {0x05, 4096, 8192}, {0x83, 12288, 2048}, {0, 0, 0}});
            // Logical 5 at EBR 4096 + 2048; the link leads to the EBR at 4096 + 4096.
            table(ch, 4096, S, new long[][] {{0x83, 2048, 1024}, {0x05, 4096, 4096}});
            table(ch, 8192, S, new long[][] {{0x83, 2048, 1024}, {0, 0, 0}});
            mark(ch, 2048L * S, "P1");
            mark(ch, (4096L + 2048) * S, "P5");
            mark(ch, (8192L + 2048) * S, "P6");
            mark(ch, 12288L * S, "P3");
        }
        return p;
    }

    Path gptDisk(int sector) throws IOException {
        Path p = file("gpt" + sector + ".img", 8L << 20);
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
            table(ch, 0, S, new long[][] {{0xee, 1, (8L << 20) / sector - 1}});
            ByteBuffer h = ByteBuffer.allocate(92).order(ByteOrder.LITTLE_ENDIAN);
            h.put("EFI PART".getBytes()).putInt(0x00010000).putInt(92);
            h.putInt(80, 128).putInt(84, 128).putLong(72, 2);
            ch.write(h.position(0), sector);
            long first1 = (1 << 20) / sector, last1 = (2 << 20) / sector - 1;
            long first3 = (3 << 20) / sector, last3 = (5 << 20) / sector - 1;
            ByteBuffer e = ByteBuffer.allocate(128 * 3).order(ByteOrder.LITTLE_ENDIAN);
            e.putLong(0, 0x4433221100L).putLong(8, 1).putLong(32, first1).putLong(40, last1);
            e.putLong(256, 0x99L).putLong(264, 2).putLong(288, first3).putLong(296, last3);
            ch.write(e, 2L * sector);
            mark(ch, first1 * sector, "G1");
            mark(ch, first3 * sector, "G3");
        }
        return p;
    }

    /** qemu-img convert of the export to a raw file: the file's SHA-256. */
    String qemuImgCopy(Server s, String name) {
        Path out = tmp.resolve(name + "-" + s.socket().getFileName() + ".raw");
        Cmd.of("qemu-img", "convert", "-f", "raw", "-O", "raw", s.uri(), out.toString()).ok();
        return Differential.sha256(out);
    }

    static final String READ = """
            print(size, h.pread(4, 0))
            h.pwrite(b"W" * 512, size - 512)
            print(h.pread(4, size - 4))
            print(expect_err("EINVAL", lambda: h.pread(1, size)))
            """;

    @Test
    void mbrPrimaryAndLogical() throws IOException {
        Path disk = mbrDisk();
        byte[] whole = java.nio.file.Files.readAllBytes(disk);
        long[][] where = {{1, 2048, 2048}, {3, 12288, 2048}, {5, 6144, 1024}, {6, 10240, 1024}};
        for (long[] w : where) {
            String n = Long.toString(w[0]);
            String out = same(impl -> args("--filter=partition", "file", copy(disk, impl).toString(), "partition=" + n),
                    s -> qemuImgCopy(s, "p" + n) + "\n" + py(s, READ) + map(s));
            long size = w[2] * S;
            assertTrue(out.contains("\n" + size + " bytearray(b'P" + n + "P" + n + "')"), out);
            // qemu-img copied exactly the partition's bytes out of the disk
            byte[] part = java.util.Arrays.copyOfRange(whole, (int) (w[1] * S), (int) ((w[1] + w[2]) * S));
            assertTrue(out.startsWith(Differential.sha256(part)), n + "\n" + out);
        }
    }

    @Test
    void gpt() throws IOException {
        Path disk = gptDisk(S);
        for (String n : new String[] {"1", "3"}) {
            String out = same(impl -> args("--filter=partition", "file", copy(disk, impl).toString(), "partition=" + n),
                    s -> py(s, READ) + map(s));
            assertTrue(out.startsWith((n.equals("1") ? 1 << 20 : 2 << 20) + " bytearray(b'G" + n + "G" + n + "')"), out);
        }
    }

    /** Partitions that are not there, and disks without a table: nbdkit's messages, the client refused. */
    @Test
    void notFound() throws IOException {
        Path mbr = mbrDisk();
        Path gpt = gptDisk(S);
        Path blank = file("blank.img", 1 << 20);
        Object[][] cases = {
                {mbr, "2", "MBR partition 2 not found"}, {mbr, "4", "MBR partition 4 not found"},
                {mbr, "7", "MBR partition 7 not found"}, {gpt, "2", "GPT partition 2 not found"},
                {gpt, "129", "GPT partition number out of range"},
                {blank, "1", "disk does not contain MBR or GPT partition table signature"}};
        for (Object[] c : cases) {
            String msgs = same(args("--filter=partition", "-r", "file", c[0].toString(), "partition=" + c[1]), s -> {
                Cmd.of("nbdinfo", s.uri()).fails();
                return String.join("\n", errors(s));
            });
            assertTrue(msgs.contains("error: " + c[2]), msgs);
        }
    }

    /** partition-sectorsize=4k (a later nbdkit's parameter; 1.32 does not have it): jnbdkit only. */
    @Test
    void sectorSize4k() throws IOException {
        Path disk = gptDisk(4096);
        Server s = start(Impl.JNBDKIT, args("--filter=partition", "file", disk.toString(), "partition=3", "partition-sectorsize=4k"));
        String out = py(s, "print(size, h.pread(4, 0))\n");
        assertEquals((2 << 20) + " bytearray(b'G3G3')", out.strip());
        s.stop();
        Cmd.Result r = Server.command(Impl.JNBDKIT, args("--filter=partition", "memory", "1M", "partition=1", "partition-sectorsize=1024")).run();
        r.exit(1);
        assertTrue(r.err().contains("error: partition-sectorsize must be 512 or 4096"), r.toString());
    }

    @Test
    void badParameters() {
        badParameter("you must supply the partition parameter on the command line", "--filter=partition", "memory", "1M");
        badParameter("invalid partition number", "--filter=partition", "memory", "1M", "partition=0");
        badParameter("partition: negative numbers are not allowed", "--filter=partition", "memory", "1M", "partition=-1");
        badParameter("partition: empty string where we expected a number", "--filter=partition", "memory", "1M", "partition=x");
        badParameter("partition: could not parse number: \"1x\": trailing garbage", "--filter=partition", "memory", "1M", "partition=1x");
    }
}
