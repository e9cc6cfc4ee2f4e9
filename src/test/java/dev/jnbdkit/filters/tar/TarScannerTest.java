package dev.jnbdkit.filters.tar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The tar header reader on archives built here byte by byte (ustar, GNU, pax, base-256, damage). */
class TarScannerTest {

    // ---- building archives ---------------------------------------------------------------

    /** An archive under construction. */
    static final class Tar {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();

        /** A header block with a valid checksum. */
        Tar header(String name, long size, char type, boolean gnu, String prefix) {
            byte[] h = new byte[512];
            put(h, 0, name);
            put(h, 100, "0000644");
            put(h, 108, "0000000");
            put(h, 116, "0000000");
            if (size >= 0) {
                put(h, 124, String.format("%011o", size));
            } else { // base-256, the value in -size
                long v = -size;
                h[124] = (byte) 0x80;
                for (int i = 0; i < 8; i++) h[135 - i] = (byte) (v >>> (8 * i));
            }
            put(h, 136, "00000000000");
            h[156] = (byte) type;
            if (gnu) {
                put(h, 257, "ustar  ");
            } else {
                put(h, 257, "ustar");
                put(h, 263, "00");
                if (prefix != null) put(h, 345, prefix);
            }
            for (int i = 148; i < 156; i++) h[i] = ' ';
            long sum = 0;
            for (byte b : h) sum += b & 0xff;
            put(h, 148, String.format("%06o", sum));
            h[154] = 0;
            out.writeBytes(h);
            return this;
        }

        Tar file(String name, byte[] data) {
            header(name, data.length, '0', false, null);
            return data(data);
        }

        Tar data(byte[] data) {
            out.writeBytes(data);
            pad();
            return this;
        }

        Tar pad() {
            while (out.size() % 512 != 0) out.write(0);
            return this;
        }

        Tar pax(char type, String... records) {
            StringBuilder sb = new StringBuilder();
            for (String r : records) {
                int len = r.getBytes(StandardCharsets.UTF_8).length + 2; // ' ' and '\n'
                int digits = String.valueOf(len).length();
                len += digits;
                if (String.valueOf(len).length() != digits) len++;
                sb.append(len).append(' ').append(r).append('\n');
            }
            byte[] body = sb.toString().getBytes(StandardCharsets.UTF_8);
            header("PaxHeaders/x", body.length, type, false, null);
            return data(body);
        }

        Tar end() {
            out.writeBytes(new byte[1024]);
            return this;
        }

        byte[] bytes() { return out.toByteArray(); }

        private static void put(byte[] h, int at, String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            System.arraycopy(b, 0, h, at, b.length);
        }
    }

    static TarScanner.Source source(byte[] tar) {
        return new TarScanner.Source() {
            @Override public long size() { return tar.length; }

            @Override public void read(byte[] dst, int length, long offset) {
                System.arraycopy(tar, (int) offset, dst, 0, length);
            }
        };
    }

    static TarEntry find(byte[] tar, String entry) throws Exception {
        return TarScanner.find(source(tar), entry, 0);
    }

    static byte[] bytes(int n, int seed) {
        byte[] b = new byte[n];
        new java.util.Random(seed).nextBytes(b);
        return b;
    }

    // ---- tests ---------------------------------------------------------------------------

    @Test
    void firstAndLaterMembersOfAUstarArchive() throws Exception {
        byte[] tar = new Tar().file("a.txt", bytes(700, 1)).file("disk.img", bytes(4096, 2)).file("z", new byte[0]).end().bytes();
        assertEquals(new TarEntry(512, 700), find(tar, "a.txt"));
        // a.txt: header + 2 data blocks (700 bytes padded to 1024)
        assertEquals(new TarEntry(512 + 1024 + 512, 4096), find(tar, "disk.img"));
        assertEquals(new TarEntry(512 + 1024 + 512 + 4096 + 512, 0), find(tar, "z"));
    }

    @Test
    void ustarPrefixIsJoinedToTheName() throws Exception {
        byte[] tar = new Tar().header("file.img", 10, '0', false, "some/long/dir").data(new byte[10]).end().bytes();
        assertEquals(new TarEntry(512, 10), find(tar, "some/long/dir/file.img"));
        assertThrows(TarScanner.NotFoundException.class, () -> find(tar, "file.img"));
    }

    @Test
    void gnuPrefixAreaIsNotAName() throws Exception {
        // GNU headers keep atime/ctime where ustar has the prefix: it must not be joined.
        byte[] tar = new Tar().header("g.img", 3, '0', true, null).data(new byte[3]).end().bytes();
        assertEquals(new TarEntry(512, 3), find(tar, "g.img"));
    }

    @Test
    void gnuLongName() throws Exception {
        String longName = "d/".repeat(80) + "disk.img";
        byte[] name = (longName + "\0").getBytes(StandardCharsets.UTF_8);
        byte[] tar = new Tar().header("././@LongLink", name.length, 'L', true, null).data(name)
                .header(longName.substring(0, 100), 5, '0', true, null).data("hello".getBytes()).end().bytes();
        // L header + 1 block of name, then the real header
        assertEquals(new TarEntry(512 + 512 + 512, 5), find(tar, longName));
    }

    @Test
    void paxPathAndSizeOverrideTheHeader() throws Exception {
        String longName = "p/".repeat(70) + "disk.img";
        byte[] tar = new Tar().pax('x', "path=" + longName, "size=2000")
                .header("truncated-name", 0, '0', false, null).data(new byte[2000])
                .file("after", new byte[1]).end().bytes();
        assertEquals(new TarEntry(512 + 512 + 512, 2000), find(tar, longName));
        // the pax size is what is skipped to reach the next member
        assertEquals(new TarEntry(512 * 3 + 2048 + 512, 1), find(tar, "after"));
        // the pax records apply to one member only
        assertThrows(TarScanner.NotFoundException.class, () -> find(tar, "truncated-name"));
    }

    @Test
    void paxGlobalHeaderAppliesToWhatFollows() throws Exception {
        byte[] tar = new Tar().pax('g', "comment=made here").file("x", new byte[7]).end().bytes();
        assertEquals(new TarEntry(512 * 3, 7), find(tar, "x"));
    }

    @Test
    void base256Size() throws Exception {
        byte[] tar = new Tar().header("big", -600, '0', true, null).data(new byte[600]).end().bytes();
        assertEquals(new TarEntry(512, 600), find(tar, "big"));
    }

    @Test
    void linksAndDirectoriesHaveNoData() throws Exception {
        byte[] tar = new Tar().header("dir/", 0, '5', false, null).header("link", 0, '2', false, null)
                .file("dir/f", new byte[3]).end().bytes();
        assertEquals(new TarEntry(512, 0), find(tar, "dir"));
        assertEquals(new TarEntry(512 * 3, 3), find(tar, "dir/f"));
    }

    @Test
    void theFirstOfTwoMembersWithOneNameWins() throws Exception {
        byte[] tar = new Tar().file("dup", new byte[100]).file("dup", new byte[200]).end().bytes();
        assertEquals(new TarEntry(512, 100), find(tar, "dup"));
    }

    @Test
    void missingEntryEndsAtTheZeroBlockOrTheEndOfTheFile() {
        byte[] tar = new Tar().file("a", new byte[1]).end().bytes();
        var e = assertThrows(TarScanner.NotFoundException.class, () -> find(tar, "b"));
        assertEquals("not found in the tar file", e.getMessage());
        byte[] noEnd = new Tar().file("a", new byte[1]).bytes();
        assertThrows(TarScanner.NotFoundException.class, () -> find(noEnd, "b"));
    }

    @Test
    void tarLimitStopsTheSearch() throws Exception {
        byte[] tar = new Tar().file("a", new byte[4096]).file("b", new byte[1]).end().bytes();
        long bHeader = 512 + 4096;
        assertEquals(new TarEntry(bHeader + 512, 1), TarScanner.find(source(tar), "b", bHeader + 512));
        var e = assertThrows(TarScanner.NotFoundException.class, () -> TarScanner.find(source(tar), "b", bHeader + 511));
        assertTrue(e.getMessage().contains("tar-limit"), e.getMessage());
    }

    @Test
    void corruptHeaderIsNotATarFile() {
        byte[] tar = new Tar().file("a", new byte[10]).end().bytes();
        tar[20] ^= 1;
        var e = assertThrows(TarScanner.BadArchiveException.class, () -> find(tar, "a"));
        assertTrue(e.getMessage().contains("checksum"), e.getMessage());
        byte[] random = bytes(4096, 3);
        assertThrows(TarScanner.BadArchiveException.class, () -> find(random, "a"));
    }

    @Test
    void truncatedArchives() {
        byte[] whole = new Tar().file("a", new byte[3000]).end().bytes();
        byte[] cut = java.util.Arrays.copyOf(whole, 2048);
        var e = assertThrows(TarScanner.BadArchiveException.class, () -> find(cut, "a"));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
        byte[] midHeader = java.util.Arrays.copyOf(whole, 600);
        assertThrows(TarScanner.BadArchiveException.class, () -> find(midHeader, "b"));
    }

    @Test
    void sparseMembersAreRefused() {
        byte[] gnu = new Tar().header("s", 512, 'S', true, null).data(new byte[512]).end().bytes();
        var e = assertThrows(TarScanner.BadArchiveException.class, () -> find(gnu, "s"));
        assertTrue(e.getMessage().contains("sparse"), e.getMessage());
        byte[] pax = new Tar().pax('x', "GNU.sparse.major=1", "GNU.sparse.minor=0", "GNU.sparse.name=s", "GNU.sparse.realsize=4096")
                .header("./GNUSparseFile.1/s", 512, '0', false, null).data(new byte[512]).end().bytes();
        assertThrows(TarScanner.BadArchiveException.class, () -> find(pax, "s"));
    }

    @Test
    void badPaxRecords() {
        byte[] tar = new Tar().header("PaxHeaders/x", 10, 'x', false, null).data("99 path=a\n".getBytes())
                .file("a", new byte[1]).end().bytes();
        var e = assertThrows(TarScanner.BadArchiveException.class, () -> find(tar, "a"));
        assertTrue(e.getMessage().contains("pax"), e.getMessage());
    }

    @Test
    void numbers() throws Exception {
        assertEquals(0755, TarHeader.number(" 0000755 ".getBytes(), 0, 9));
        assertEquals(0755, TarHeader.number("755\0\0\0\0\0".getBytes(), 0, 8));
        assertEquals(0, TarHeader.number(new byte[8], 0, 8));
        assertThrows(TarHeader.FormatException.class, () -> TarHeader.number("12x4".getBytes(), 0, 4));
        byte[] b256 = {(byte) 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0};
        assertEquals(256, TarHeader.number(b256, 0, 12));
        byte[] negative = {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff,
                (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff};
        assertEquals(-1, TarHeader.number(negative, 0, 12));
    }
}
