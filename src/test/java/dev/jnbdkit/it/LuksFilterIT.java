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
            if (line.startsWith("Payload offset:")) {
                try {
                    return Files.size(img) - 512 * Long.parseLong(line.substring(15).strip());
                } catch (IOException e) {
                    throw new AssertionError(e);
                }
            }
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

    /**
     * The connection fails with nbdkit's message and the client exits 1. jnbdkit goes on serving
     * (a second client is refused the same way). nbdkit 1.32's connection process may die of
     * SIGSEGV right after the message (its luks close callback frees the header it never loaded),
     * so the client sees the server vanish (exit 1) or the captive run ends with 128 + 11: its
     * status is only required to be non-zero.
     */
    private void refusedConnection(Path img, String passphrase, String message) {
        for (Impl impl : Impl.values()) {
            List<String> a = new ArrayList<>(List.of(impl.command(), "-U", "-"));
            a.addAll(luks(img, passphrase));
            // Under jnbdkit a second client comes after the first; not under nbdkit, which may have
            // crashed, its listening socket still open in the parent: a second client would hang.
            a.addAll(List.of("--run", impl == Impl.JNBDKIT
                    ? "nbdinfo --size \"$uri\"; s1=$?; nbdinfo --size \"$uri\"; s2=$?; exit $((s1 * 10 + s2))"
                    : "nbdinfo --size \"$uri\""));
            Cmd.Result r = Cmd.of(a).run();
            assertTrue(r.err().contains("error: " + message), impl + ": expected \"" + message + "\"\n" + r);
            if (impl == Impl.JNBDKIT) {
                assertEquals(11, r.exit(), "both clients fail with status 1, the server lives on\n" + r);
                assertEquals(2, r.err().split("error: " + java.util.regex.Pattern.quote(message), -1).length - 1, r.toString());
            } else {
                assertNotEquals(0, r.exit(), "nbdkit\n" + r);
            }
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
     * Both ways between jnbdkit and qemu's LUKS driver: what jnbdkit writes qemu-img reads, what
     * qemu-io writes jnbdkit reads. Then nbdkit's failure to open the image (asserted, so that
     * the difference stays documented).
     */
    private void sameAsQemu(Path img, String nbdkitsMessage) {
        Path data = randomFile("data", payload(img), 77);
        run(Impl.JNBDKIT, luks(img), "nbdcopy " + data + " \"$uri\"");
        assertFilesEqual(data, qemuRead(img, "qemu.raw"));
        List<String> io = new ArrayList<>(List.of("qemu-io"));
        io.addAll(qemuLuks(img));
        io.addAll(List.of("-c", "write -P 0x5a 12345 100000"));
        Cmd.of(io).ok();
        Path ours = tmp.resolve("ours.raw");
        run(Impl.JNBDKIT, luks(img), "nbdcopy \"$uri\" " + ours);
        assertFilesEqual(qemuRead(img, "qemu2.raw"), ours);
        nbdkitCannotOpen(img, nbdkitsMessage);
    }

    private void nbdkitCannotOpen(Path img, String message) {
        List<String> a = new ArrayList<>(List.of(Impl.NBDKIT.command(), "-U", "-"));
        a.addAll(luks(img));
        a.addAll(List.of("--run", "nbdinfo --size \"$uri\""));
        Cmd.Result theirs = Cmd.of(a).run();
        assertNotEquals(0, theirs.exit(), "nbdkit 1.32 opened it\n" + theirs);
        assertTrue(theirs.err().contains("error: " + message), "nbdkit's reason\n" + theirs);
    }

    /** ESSIV (older cryptsetup's default, aes-cbc-essiv:sha256): nbdkit has no ESSIV. */
    @ParameterizedTest(name = "{0} bits")
    @CsvSource({"256", "128"})
    void essiv(int bits) {
        sameAsQemu(image("disk.img", "--cipher", "aes-cbc-essiv:sha256", "--key-size", String.valueOf(bits)),
                "unknown IV generation algorithm: essiv (expecting \"plain\", \"plain64\" etc)");
    }

    /** RIPEMD-160 key slots: nbdkit's GnuTLS has no PBKDF2 with it. */
    @Test
    void ripemd160() {
        sameAsQemu(image("disk.img", "--hash", "ripemd160"), "gnutls_pbkdf2: The request is invalid.");
    }

    /** AES-192-XTS (cryptsetup needs the kernel to make one, qemu-img does not): GnuTLS has none. */
    @Test
    void xtsWith192BitKeys() {
        Path img = tmp.resolve("disk.img");
        Cmd.of("qemu-img", "create", "-f", "luks", "--object", "secret,id=sec0,file=" + key(), "-o",
                "key-secret=sec0,cipher-alg=aes-192,cipher-mode=xts,ivgen-alg=plain64,iter-time=10", img.toString(), "6M").ok();
        sameAsQemu(img, "cipher algorithm aes-192 in mode xts is not supported by GnuTLS");
    }

    /**
     * A 192-bit CBC key slot's material is not a whole number of sectors: nbdkit leaves the last
     * part encrypted (so the passphrase never matches) and qemu-img aborts on it; cryptsetup itself
     * is the reference here: the master key it dumps decrypts, with the JDK's plain AES-CBC, what
     * jnbdkit wrote.
     */
    @Test
    void cbcWith192BitKeys() throws Exception {
        Path img = image("disk.img", "--cipher", "aes-cbc-plain64", "--key-size", "192");
        String dump = Cmd.of(cryptsetup(), "luksDump", "--dump-volume-key", "--batch-mode", "--key-file", key().toString(),
                img.toString()).ok().out();
        String hex = dump.substring(dump.indexOf("MK dump:") + 8).replaceAll("[^0-9a-f]", "");
        byte[] masterKey = java.util.HexFormat.of().parseHex(hex.substring(0, 48));
        long payload = payload(img);
        Path data = randomFile("data", payload, 192);
        run(Impl.JNBDKIT, luks(img), "nbdcopy " + data + " \"$uri\"");
        byte[] want = Files.readAllBytes(data);
        byte[] disk = Files.readAllBytes(img);
        int offset = (int) (disk.length - payload);
        javax.crypto.Cipher cbc = javax.crypto.Cipher.getInstance("AES/CBC/NoPadding");
        for (long sector : new long[] {0, 1, 2, 1000, payload / 512 - 1}) {
            byte[] iv = new byte[16];
            for (int i = 0; i < 8; i++) iv[i] = (byte) (sector >>> (8 * i));
            cbc.init(javax.crypto.Cipher.DECRYPT_MODE, new javax.crypto.spec.SecretKeySpec(masterKey, "AES"),
                    new javax.crypto.spec.IvParameterSpec(iv));
            byte[] plain = cbc.doFinal(disk, offset + (int) sector * 512, 512);
            assertEquals(java.util.HexFormat.of().formatHex(want, (int) sector * 512, (int) sector * 512 + 512),
                    java.util.HexFormat.of().formatHex(plain), "sector " + sector);
        }
        nbdkitCannotOpen(img, "LUKS passphrase is not correct, no key slot could be unlocked");
    }
}
