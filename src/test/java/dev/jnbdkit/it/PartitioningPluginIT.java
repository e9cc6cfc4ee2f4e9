package dev.jnbdkit.it;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code partitioning}: files as the partitions of a virtual MBR or GPT disk, side by side with
 * nbdkit's plugin over the same files. MBR disks are deterministic and must match byte for byte;
 * a GPT carries a random unique GUID per partition (and so different CRCs), so GPT disks are
 * compared with those fields masked, and their structure through sfdisk.
 */
class PartitioningPluginIT extends ItBase {

    private List<String> files(int n, String... settings) {
        List<String> a = new ArrayList<>(List.of("partitioning"));
        a.addAll(List.of(settings));
        for (int i = 0; i < n; i++) {
            // Sizes that are not sector multiples, some sparse.
            Path p = i % 2 == 0 ? randomFile("p" + i, 20_000 + 777L * i, i) : file("p" + i, 65_536 + 512L * i);
            a.add(p.toString());
        }
        return a;
    }

    @Test
    void mbrSameAsNbdkit() {
        PluginDiff.Seen s = PluginDiff.assertSameDisk(tmp, files(3).toArray(String[]::new));
        assertTrue(s.size() > 3 * (1 << 20), "each partition aligned to 1M: " + s.size());
    }

    @Test
    void mbrWithLogicalPartitionsIdAndAlignmentSameAsNbdkit() {
        List<String> a = files(6, "partition-type=mbr");
        // mbr-id and alignment apply to the files after them.
        a.add(3, "mbr-id=0x82");
        a.add(5, "alignment=4k");
        a.add(6, "mbr-id=default");
        PluginDiff.assertSameDisk(tmp, a.toArray(String[]::new));
        Server s = unix(a.toArray(String[]::new));
        String table = Cmd.of("sfdisk", "--dump", image(s)).ok().out();
        assertTrue(table.contains("label: dos"), table);
        assertTrue(table.contains("type=82"), table);
        assertTrue(table.contains("type=f"), table); // the extended partition
        assertEquals(7, table.lines().filter(l -> l.contains(" : start=")).count(), table);
    }

    @Test
    void gptSameAsNbdkitApartFromRandomGuids() throws IOException {
        String typeGuid = "type-guid=0657FD6D-A4AB-43C4-84E5-0933C84B4F4F";
        List<String> a = files(5, "partition-type=gpt", "alignment=64k");
        a.add(3, typeGuid);
        compareGpt(a, 5);
    }

    @Test
    void gptWithMoreThan128PartitionsSameAsNbdkit() throws IOException {
        // 130 files: the partition arrays grow to 256 entries (64 sectors).
        List<String> a = new ArrayList<>(List.of("partitioning", "alignment=512"));
        for (int i = 0; i < 130; i++) a.add(randomFile("q" + i, 1000 + i, i).toString());
        compareGpt(a, 130);
    }

    @Test
    void readsWritesAndRefusedWritesAsNbdkit() throws IOException {
        List<String> a = files(2);
        // caps.py writes the table back unchanged (allowed), then changes it (EIO).
        String seen = PluginDiff.assertSameScript(tmp, resource("data/caps.py"), a.toArray(String[]::new));
        assertTrue(seen.contains("write something else fails: 5"), seen);
        Server s = unix(a.toArray(String[]::new));
        Path p0 = Path.of(a.get(1));
        byte[] before = Files.readAllBytes(p0);
        // Partition 1 starts at 1M: a write there reaches the file; padding takes zeros only.
        Cmd.of("nbdsh", "-u", s.uri(), "-c",
                "h.pwrite(b'\\xab' * 4096, 1 << 20); h.flush()\n"
                        + "h.pwrite(bytes(512), 600)\n"
                        + "try:\n    h.pwrite(b'x', 600); print('written')\nexcept nbd.Error as e: print('padding', e.errnum)").ok();
        byte[] after = Files.readAllBytes(p0);
        for (int i = 0; i < 4096; i++) assertEquals((byte) 0xab, after[i]);
        assertArrayEquals(Arrays.copyOfRange(before, 4096, before.length), Arrays.copyOfRange(after, 4096, after.length));
        assertTrue(s.stderr().contains("write non-zeroes to padding region"), s.stderr());
    }

    @Test
    void badCommandLinesAsNbdkit() throws IOException {
        Path f = randomFile("f", 4096, 1);
        Path empty = file("empty", 0);
        assertEquals("error: nonexist: No such file or directory\n", Differential.assertSameRefusal("partitioning", "nonexist"));
        Differential.assertSameRefusal("partitioning", empty.toString());
        Differential.assertSameRefusal("partitioning");
        Differential.assertSameRefusal("partitioning", "partition-type=apm", f.toString());
        Differential.assertSameRefusal("partitioning", "alignment=100", f.toString());
        Differential.assertSameRefusal("partitioning", "alignment=4M", f.toString());
        Differential.assertSameRefusal("partitioning", "mbr-id=0x100", f.toString());
        Differential.assertSameRefusal("partitioning", "mbr-id=linux", f.toString());
        Differential.assertSameRefusal("partitioning", "type-guid=0FC63DAF-8483-4772-8E79", f.toString());
        Differential.assertSameRefusal("partitioning", "foo=bar", f.toString());
        // A file that cannot be opened read-write stops the server, under -r too (as nbdkit).
        Path ro = randomFile("ro", 4096, 2);
        Files.setPosixFilePermissions(ro, java.nio.file.attribute.PosixFilePermissions.fromString("r--r--r--"));
        if (!"root".equals(System.getProperty("user.name"))) Differential.assertSameRefusal("partitioning", ro.toString());
        // nbdkit aborts on an alignment that is no power of 2; jnbdkit refuses it.
        String m = Differential.message(runServer("-U", "-", "partitioning", "alignment=1536", f.toString(), "--run", "true").exit(1).err());
        assertTrue(m.contains("should be a power of 2"), m);
    }

    /** The disk of {@code s} copied to a file (for sfdisk). */
    private String image(Server s) {
        Path img = tmp.resolve("img-" + System.nanoTime());
        Cmd.of("nbdcopy", s.uri(), img.toString()).ok();
        return img.toString();
    }

    /** Both servers' GPT disks, equal once GUIDs and CRCs are masked; and sfdisk reads both alike. */
    private void compareGpt(List<String> args, int partitions) throws IOException {
        var both = Server.pair(tmp, args.toArray(String[]::new));
        byte[] ours = Files.readAllBytes(Path.of(image(both.get(Server.Impl.JNBDKIT))));
        byte[] theirs = Files.readAllBytes(Path.of(image(both.get(Server.Impl.NBDKIT))));
        assertEquals(theirs.length, ours.length, "disk size");
        assertNotEquals(0, ByteBuffer.wrap(ours, 512 + 88, 4).getInt(), "partition array CRC");
        maskGpt(ours, partitions);
        maskGpt(theirs, partitions);
        assertArrayEquals(theirs, ours, "GPT disks differ beyond the random GUIDs");
        String j = sfdisk(both.get(Server.Impl.JNBDKIT)), n = sfdisk(both.get(Server.Impl.NBDKIT));
        assertEquals(n, j, "sfdisk sees the same table");
        assertTrue(j.contains("\"label\":\"gpt\"") || j.contains("\"label\": \"gpt\""), j);
    }

    private String sfdisk(Server s) {
        // The partitions' uuid fields are random by design.
        return Cmd.of("sfdisk", "--json", image(s)).ok().out()
                .replaceAll("\"uuid\": ?\"[0-9A-Fa-f-]+\"", "\"uuid\":\"*\"")
                .replaceAll("\"device\": ?\"[^\"]*\"", "\"device\":\"*\"")
                .replaceAll("\"node\": ?\"[^\"]*\"", "\"node\":\"*\"");
    }

    /** Zeroes the header CRCs and each entry's unique GUID in both copies of the GPT. */
    private static void maskGpt(byte[] d, int partitions) {
        ByteBuffer b = ByteBuffer.wrap(d).order(ByteOrder.LITTLE_ENDIAN);
        long lbas = d.length / 512;
        for (long headerLba : new long[] {1, lbas - 1}) {
            int h = (int) (headerLba * 512);
            assertEquals("EFI PART", new String(d, h, 8, java.nio.charset.StandardCharsets.US_ASCII));
            long array = b.getLong(h + 72);
            Arrays.fill(d, h + 16, h + 20, (byte) 0); // header CRC
            Arrays.fill(d, h + 88, h + 92, (byte) 0); // array CRC
            for (int i = 0; i < partitions; i++) {
                int e = (int) (array * 512) + 128 * i;
                Arrays.fill(d, e + 16, e + 32, (byte) 0);
            }
        }
    }
}
