package dev.jnbdkit.it;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code tmpdisk}: a fresh filesystem per client, made by mkfs (or {@code command=}) in
 * {@code $TMPDIR}, gone when the client goes; side by side with Debian's nbdkit where the result
 * is deterministic (sizes, a command's disk, capabilities, errors).
 */
class TmpdiskPluginIT extends ItBase {

    /** {@code impl -f -U SOCK ARGS} with {@code TMPDIR=tmp/tmpdir} and mkfs on the PATH. */
    Server start(Server.Impl impl, String... args) {
        Path sock = tmp.resolve(impl.name().toLowerCase() + "-" + System.nanoTime() + ".sock");
        List<String> a = new ArrayList<>(List.of("-f", "-U", sock.toString()));
        a.addAll(List.of(args));
        return Server.launch(impl, a).socket(sock).env("TMPDIR", tmpdir().toString())
                .env("PATH", Cmd.CLIENT_PATH).ready();
    }

    Path tmpdir() {
        try {
            return Files.createDirectories(tmp.resolve("tmpdir"));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** Ext2/3/4 superblock: the magic 0xEF53 at byte 1080, the label at 1144. */
    static String ext4Label(Path image) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(image.toFile(), "r")) {
            f.seek(1080);
            int magic = f.read() | f.read() << 8;
            assertEquals(0xEF53, magic, "not an ext2/3/4 filesystem: " + image);
            byte[] label = new byte[16];
            f.seek(1144);
            f.readFully(label);
            return new String(label, StandardCharsets.UTF_8).replace("\0", "");
        }
    }

    @Test
    void eachClientGetsAFreshExt4() throws IOException {
        Clients.require("mke2fs");
        Server s = start(Server.Impl.JNBDKIT, "tmpdisk", "64M", "label=scratch");
        Path copy = tmp.resolve("copy.img");
        Cmd.of("nbdcopy", s.uri(), copy.toString()).ok();
        assertEquals(64 << 20, Files.size(copy));
        assertEquals("scratch", ext4Label(copy));
        // a client's writes are its own: the next client sees a new filesystem
        Cmd.of("nbdsh", "-u", s.uri(), "-c", "h.pwrite(b'\\xee' * 4096, 32 << 20); assert h.pread(4, 32 << 20) == b'\\xee' * 4").ok();
        String again = Cmd.of("nbdsh", "-u", s.uri(), "-c", "print(h.pread(4, 32 << 20).hex())").ok().out().strip();
        assertEquals("00000000", again);
        // nothing is left in $TMPDIR, even while a client is connected (the disk is unlinked once open)
        try (var left = Files.list(tmpdir())) {
            assertEquals(0, left.count());
        }
        // the same size as nbdkit's
        Server n = start(Server.Impl.NBDKIT, "tmpdisk", "64M", "label=scratch");
        assertEquals(Cmd.of("nbdinfo", "--size", n.uri()).ok().out(), Cmd.of("nbdinfo", "--size", s.uri()).ok().out());
    }

    @Test
    void commandAndVariablesAsNbdkit() {
        String command = "command=printf '%s/%s/%s' \"$greeting\" \"$type\" \"$size\" > \"$disk\"; truncate -s $size \"$disk\"";
        PluginDiff.Seen ours = look(Server.Impl.JNBDKIT, "tmpdisk", "size=1M", "greeting=hello world", command);
        PluginDiff.Seen theirs = look(Server.Impl.NBDKIT, "tmpdisk", "size=1M", "greeting=hello world", command);
        assertEquals(theirs, ours);
        assertEquals(1 << 20, ours.size());
        // the command decides the size: size= is only a suggestion
        PluginDiff.Seen small = look(Server.Impl.JNBDKIT, "tmpdisk", "0", "command=truncate -s 12345 \"$disk\"");
        assertEquals(12345, small.size());
        assertEquals(look(Server.Impl.NBDKIT, "tmpdisk", "0", "command=truncate -s 12345 \"$disk\""), small);
    }

    @Test
    void capabilitiesAsNbdkit() {
        String[] args = {"tmpdisk", "1M", "command=truncate -s $size \"$disk\""};
        String ours = ItBase.python(resource("data/caps.py"), start(Server.Impl.JNBDKIT, args).uri()).ok().out();
        String theirs = ItBase.python(resource("data/caps.py"), start(Server.Impl.NBDKIT, args).uri()).ok().out();
        assertEquals(theirs, ours);
        assertTrue(ours.contains("flush True") && ours.contains("trim True"), ours);
    }

    @Test
    void badInputAsNbdkit() {
        Differential.assertSameRefusal("tmpdisk");
        Differential.assertSameRefusal("tmpdisk", "1M", "disk=/tmp/x");
        Differential.assertSameRefusal("tmpdisk", "size=lots");
        // a failing command, and one that makes no disk: the client is refused, the server says why
        for (String command : List.of("command=exit 3", "command=true", "command=kill -9 $$")) {
            String ours = openError(Server.Impl.JNBDKIT, "tmpdisk", "1M", command);
            String theirs = openError(Server.Impl.NBDKIT, "tmpdisk", "1M", command);
            assertEquals(theirs, ours, command);
            assertTrue(ours.contains("error"), ours);
        }
    }

    PluginDiff.Seen look(Server.Impl impl, String... args) {
        Server s = start(impl, args);
        try {
            return PluginDiff.look(s.uri(), tmp);
        } finally {
            s.stop();
        }
    }

    /** The server's error lines when a client's open fails, with the random temporary names masked. */
    String openError(Server.Impl impl, String... args) {
        Server s = start(impl, args);
        Cmd.of("nbdinfo", "--size", s.uri()).fails();
        s.stop();
        StringBuilder out = new StringBuilder();
        for (String line : Differential.untagged(s.stderr()).split("\n")) {
            if (line.contains("error") && !line.contains("handshake") && !line.contains("conn->")) out.append(line.replaceAll("tmpdisk[A-Za-z0-9]{6,}", "tmpdiskXXXXXX")).append('\n');
        }
        return out.toString();
    }
}
