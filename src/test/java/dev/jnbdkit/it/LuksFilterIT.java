package dev.jnbdkit.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jnbdkit.it.Server.Impl;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The luks filter over images made by cryptsetup ({@code luksFormat --type luks1}), differential
 * against Debian's nbdkit: what one server writes the other reads back, the same writes make the
 * same ciphertext (XTS and CBC with sector IVs are deterministic, so the two image files must be
 * byte for byte equal), the same flags and extents, and the same refusals (wrong passphrase,
 * corrupt or foreign headers, a missing parameter) with nbdkit's messages. Where nbdkit cannot
 * open an image that the kernel and qemu can (ESSIV, AES-192), qemu-img is the reference.
 */
class LuksFilterIT extends FilterItBase {
    private static final String SECRET = "correct horse battery staple";
    private static final long IMAGE = 8L << 20;

    private static String cryptsetup() {
        Clients.require("cryptsetup");
        return Clients.resolve("cryptsetup").toString();
    }

    /** A file holding {@code secret}, no newline (cryptsetup's --key-file takes the whole file). */
    private Path keyFile(String name, String secret) {
        Path k = tmp.resolve(name);
        try {
            Files.writeString(k, secret, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        return k;
    }

    private Path key() { return keyFile("key", SECRET); }

    /** {@code cryptsetup luksFormat --type luks1} of a new {@link #IMAGE}-byte file, fast key slots. */
    private Path image(String name, String... format) {
        Path img = file(name, IMAGE);
        List<String> a = new ArrayList<>(List.of(cryptsetup(), "luksFormat", "--type", "luks1", "--batch-mode",
                "--pbkdf-force-iterations", "1000", "--key-file", key().toString()));
        a.addAll(List.of(format));
        a.add(img.toString());
        Cmd.of(a).ok();
        return img;
    }

    /** The payload's size, from cryptsetup's own account of the header ({@code luksDump}). */
    private static long payload(Path img) {
        String dump = Cmd.of(cryptsetup(), "luksDump", img.toString()).ok().out();
        for (String line : dump.split("\n")) {
            if (line.startsWith("Payload offset:")) return IMAGE - 512 * Long.parseLong(line.substring(15).strip());
        }
        throw new AssertionError("no payload offset in\n" + dump);
    }

    private static List<String> luks(Path img, String passphrase, String... more) {
        List<String> a = new ArrayList<>(List.of("--filter=luks", "file", img.toString(), "passphrase=" + passphrase));
        a.addAll(List.of(more));
        return a;
    }

    private List<String> luks(Path img) { return luks(img, "+" + key()); }

    /** {@code program -U - ARGS --run SCRIPT}: must exit 0; its output. */
    private static String run(Impl impl, List<String> args, String script) {
        return Differential.captive(impl.command(), Map.of(), args, script).out();
    }

    private static Impl other(Impl impl) { return impl == Impl.JNBDKIT ? Impl.NBDKIT : Impl.JNBDKIT; }

    /** The options that open the image with qemu's own LUKS driver (the kernel's format, as qemu implements it). */
    private List<String> qemuLuks(Path img) {
        return List.of("--object", "secret,id=sec0,file=" + key(), "--image-opts",
                "driver=luks,key-secret=sec0,file.filename=" + img);
    }

    /** qemu-img's view of the payload, as a raw file. */
    private Path qemuRead(Path img, String name) {
        Path out = tmp.resolve(name);
        List<String> a = new ArrayList<>(List.of("qemu-img", "convert"));
        a.addAll(qemuLuks(img));
        a.addAll(List.of("-O", "raw", out.toString()));
        Cmd.of(a).ok();
        return out;
    }

    @ParameterizedTest(name = "{0} {1} bits {2}")
    @CsvSource({
        "aes-xts-plain64, 512, sha256",
        "aes-xts-plain64, 256, sha1",
        "aes-xts-plain, 256, sha512",
        "aes-cbc-plain64, 256, sha256",
        "aes-cbc-plain, 128, sha224",
        "aes-xts-plain64, 512, ripemd160",
    })
    void whatOneServerWritesTheOtherReads(String cipher, int bits, String hash) {
        Path img = image("disk.img", "--cipher", cipher, "--key-size", String.valueOf(bits), "--hash", hash);
        long payload = payload(img);
        assertEquals(String.valueOf(payload), run(Impl.JNBDKIT, luks(img), "nbdinfo --size \"$uri\"").strip());
        assertEquals(info(Impl.NBDKIT, img), info(Impl.JNBDKIT, img), "nbdinfo --json");
        for (Impl writer : Impl.values()) {
            Path data = randomFile("data-" + writer, payload, writer.ordinal() + 17);
            run(writer, luks(img), "nbdcopy " + data + " \"$uri\"");
            Path back = tmp.resolve("back-" + writer);
            run(other(writer), luks(img), "nbdcopy \"$uri\" " + back);
            assertFilesEqual(data, back);
            // qemu's LUKS driver, a third implementation, reads the same plaintext.
            assertFilesEqual(data, qemuRead(img, "qemu-" + writer));
        }
    }

    private String info(Impl impl, Path img) {
        return stripUri(run(impl, luks(img), "nbdinfo --json \"$uri\"")) + run(impl, luks(img), "nbdinfo --map \"$uri\"");
    }

    /**
     * Partial sectors, zeroes (written as encrypted zeros), FUA and flush through each server on
     * its own copy: the clients see the same, and the two encrypted files end up identical.
     */
    @Test
    void sameWritesMakeTheSameCiphertext() {
        for (String cipher : List.of("aes-xts-plain64", "aes-cbc-plain64")) {
            Path img = image("disk-" + cipher + ".img", "--cipher", cipher, "--key-size", cipher.contains("xts") ? "512" : "256");
            long payload = payload(img);
            String[] ops = {
                "flags", "r:0:4096", "w:1:1:17", "w:511:2:34", "w:1000:70000:51", "wf:131072:512:68", "r:0:200000",
                "z:4096:8192", "z:5000:3", "r:0:16384", "c:0:65536", "f", "e:0:1048576", "w:" + (payload - 3) + ":3:85",
                "r:" + (payload - 4096) + ":4096", "t:0:4096",
            };
            Map<Impl, Path> copies = new java.util.EnumMap<>(Impl.class);
            Map<Impl, String> seen = new java.util.EnumMap<>(Impl.class);
            for (Impl impl : Impl.values()) {
                copies.put(impl, copy(img, impl));
                seen.put(impl, Differential.ops(tmp, impl.command(), Map.of(), luks(copies.get(impl)), ops));
            }
            assertEquals(seen.get(Impl.NBDKIT), seen.get(Impl.JNBDKIT), cipher + ": the clients saw different things");
            assertTrue(seen.get(Impl.JNBDKIT).contains("t:0:4096 error"), "no trim through luks\n" + seen.get(Impl.JNBDKIT));
            assertFilesEqual(copies.get(Impl.NBDKIT), copies.get(Impl.JNBDKIT));
        }
    }

    /** A second key slot (luksAddKey) opens with its own passphrase under both servers. */
    @Test
    void anyKeySlotOpens() {
        Path img = image("disk.img");
        Path second = keyFile("second", "another one");
        Cmd.of(cryptsetup(), "luksAddKey", "--batch-mode", "--pbkdf-force-iterations", "1000", "--key-file", key().toString(),
                img.toString(), second.toString()).ok();
        String size = String.valueOf(payload(img));
        for (Impl impl : Impl.values()) {
            assertEquals(size, run(impl, luks(img, "+" + second), "nbdinfo --size \"$uri\"").strip(), impl.name());
            assertEquals(size, run(impl, luks(img, "+" + key()), "nbdinfo --size \"$uri\"").strip(), impl.name());
        }
    }

    /** nbdkit's password forms: the secret itself, +FILE, -FD; "-" needs a terminal. */
    @Test
    void passphraseForms() throws IOException {
        Path img = image("disk.img");
        Path data = randomFile("data", 1 << 20, 3);
        run(Impl.NBDKIT, luks(img), "nbdcopy " + data + " \"$uri\"");
        String md5 = Cmd.of("md5sum", data.toString()).ok().out().substring(0, 32);
        Path script = tmp.resolve("md5.py");
        Files.writeString(script, "import hashlib, sys, nbd\nh = nbd.NBD()\nh.connect_uri(sys.argv[1])\n"
                + "print(hashlib.md5(h.pread(1048576, 0)).hexdigest())\n");
        String client = Clients.PYTHON + " " + script + " \"$uri\"";
        for (Impl impl : Impl.values()) {
            assertEquals(md5, run(impl, luks(img, SECRET), client).strip(), impl + ": passphrase=SECRET");
            assertEquals(md5, run(impl, luks(img, "+" + key()), client).strip(), impl + ": passphrase=+FILE");
            String fromFd = Cmd.sh("exec 3<" + key() + "; exec " + impl.command() + " -U - --filter=luks file " + img
                    + " passphrase=-3 --run '" + client + "'").ok().out();
            assertEquals(md5, fromFd.strip(), impl + ": passphrase=-FD");
        }
        badParameter("stdin is not a tty, cannot read password interactively", luks(img, "-").toArray(String[]::new));
        badParameter("LUKS \"passphrase\" parameter is missing", "--filter=luks", "file", img.toString());
    }

    /** The connection fails (the server lives on) with nbdkit's message: the client's exit status and the log line. */
    private void refusedConnection(Path img, String passphrase, String message) {
        for (Impl impl : Impl.values()) {
            List<String> a = new ArrayList<>(List.of(impl.command(), "-U", "-"));
            a.addAll(luks(img, passphrase));
            a.addAll(List.of("--run", "nbdinfo --size \"$uri\""));
            Cmd.Result r = Cmd.of(a).run();
            assertEquals(1, r.exit(), impl + ": the client fails\n" + r);
            assertTrue(r.err().contains("error: " + message), impl + ": expected \"" + message + "\"\n" + r);
        }
    }

    @Test
    void wrongPassphrase() {
        refusedConnection(image("disk.img"), "not the passphrase", "LUKS passphrase is not correct, no key slot could be unlocked");
    }

    @Test
    void badImages() throws IOException {
        refusedConnection(randomFile("random.img", 1 << 20, 9), SECRET, "this disk does not contain a LUKS header");
        refusedConnection(file("small.img", 8192), SECRET, "disk is too small to be LUKS-encrypted");
        Path v2 = file("luks2.img", 32L << 20);
        Cmd.of(cryptsetup(), "luksFormat", "--type", "luks2", "--batch-mode", "--pbkdf", "pbkdf2", "--pbkdf-force-iterations", "1000",
                "--key-file", key().toString(), v2.toString()).ok();
        refusedConnection(v2, "+" + key(), "this disk contains a LUKS version 2 header, but this filter only supports LUKSv1");
        Path img = image("disk.img");
        Path stripes = copy(img, Impl.JNBDKIT);
        patch(stripes, 208 + 44, new byte[4]); // key slot 0: 0 stripes
        refusedConnection(stripes, "+" + key(), "bad LUKSv1 header: key slot 0 is corrupted");
        Path payload = copy(img, Impl.NBDKIT);
        patch(payload, 104, new byte[] {0, 0x10, 0, 0}); // payload offset 512 MiB
        refusedConnection(payload, "+" + key(), "bad LUKSv1 header: payload offset points beyond the end of the disk");
        Path material = img.resolveSibling("material.img");
        Files.copy(img, material);
        patch(material, 8 * 512 + 4096, new byte[512]); // a sector of slot 0's key material
        refusedConnection(material, "+" + key(), "LUKS passphrase is not correct, no key slot could be unlocked");
    }

    private static void patch(Path file, long at, byte[] bytes) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.seek(at);
            f.write(bytes);
        }
    }

    @Test
    void helpAsNbdkit() {
        assertEquals(FilterHelpIT.section(Impl.NBDKIT, "luks"), FilterHelpIT.section(Impl.JNBDKIT, "luks"));
    }

    /**
     * ESSIV and 192-bit AES: the kernel, cryptsetup and qemu have them, nbdkit does not (it
     * refuses ESSIV and AES-192-XTS, and decrypts too little of a 192-bit key slot to open it).
     * jnbdkit opens them; qemu-img is the reference for the bytes, both ways.
     */
    @ParameterizedTest(name = "{0} {1} bits")
    @CsvSource({"aes-cbc-essiv:sha256, 256", "aes-cbc-essiv:sha256, 128", "aes-xts-plain64, 384", "aes-cbc-plain64, 192"})
    void ciphersNbdkitLacks(String cipher, int bits) {
        Path img = image("disk.img", "--cipher", cipher, "--key-size", String.valueOf(bits));
        Path data = randomFile("data", payload(img), bits);
        run(Impl.JNBDKIT, luks(img), "nbdcopy " + data + " \"$uri\"");
        assertFilesEqual(data, qemuRead(img, "qemu.raw"));
        List<String> io = new ArrayList<>(List.of("qemu-io"));
        io.addAll(qemuLuks(img));
        io.addAll(List.of("-c", "write -P 0x5a 12345 100000"));
        Cmd.of(io).ok();
        Path ours = tmp.resolve("ours.raw");
        run(Impl.JNBDKIT, luks(img), "nbdcopy \"$uri\" " + ours);
        assertFilesEqual(qemuRead(img, "qemu2.raw"), ours);
        List<String> a = new ArrayList<>(List.of(Impl.NBDKIT.command(), "-U", "-"));
        a.addAll(luks(img));
        a.addAll(List.of("--run", "nbdinfo --size \"$uri\""));
        Cmd.Result theirs = Cmd.of(a).run();
        assertNotEquals(0, theirs.exit(), "nbdkit 1.32 opened " + cipher + " " + bits + "\n" + theirs);
    }
}
