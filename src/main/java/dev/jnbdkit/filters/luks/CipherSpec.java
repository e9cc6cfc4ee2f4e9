package dev.jnbdkit.filters.luks;

import dev.jnbdkit.log.Log;
import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.PluginException;

/**
 * What a LUKSv1 header's {@code cipher_name}, {@code cipher_mode} ("MODE-IVGEN[:HASH]") and
 * {@code hash_spec} say, checked in nbdkit's order with nbdkit's messages: AES with a 128, 192 or
 * 256-bit key, in XTS or CBC mode, with the {@code plain}, {@code plain64} or {@code essiv:HASH}
 * IV generator (nbdkit has no ESSIV and no AES-192-XTS; cryptsetup and the kernel have both),
 * and one of the {@link LuksHash} hashes for the key slots.
 *
 * @param keyBytes the master key length (both XTS keys together)
 * @param hash     the hash of PBKDF2 and of the anti-forensic splitter
 * @param ivHash   the IV generator's hash (essiv), or null
 */
record CipherSpec(int keyBytes, Mode mode, IvKind ivgen, LuksHash ivHash, LuksHash hash) {
    enum Mode { ECB, CBC, XTS, CTR }

    enum IvKind { PLAIN, PLAIN64, ESSIV }

    /** Parses the header's strings, or throws nbdkit's error. */
    static CipherSpec parse(String cipherName, String cipherMode, String hashSpec, int keyBytes) {
        int dash = cipherMode.indexOf('-');
        if (dash < 0) {
            throw fail("incorrect cipher_mode header, expecting mode-ivgenerator but got \"" + cipherMode + "\"");
        }
        String modeName = cipherMode.substring(0, dash);
        String ivName = cipherMode.substring(dash + 1);
        LuksHash ivHash = null;
        int colon = ivName.indexOf(':');
        if (colon >= 0) {
            ivHash = LuksHash.lookup(ivName.substring(colon + 1));
            ivName = ivName.substring(0, colon);
        }
        Mode mode = switch (modeName) {
            case "ecb" -> Mode.ECB;
            case "cbc" -> Mode.CBC;
            case "xts" -> Mode.XTS;
            case "ctr" -> Mode.CTR;
            default -> throw fail("unknown cipher mode: " + modeName
                    + " (expecting \"ecb\", \"cbc\", \"xts\" or \"ctr\")");
        };
        int aesBytes = mode == Mode.XTS ? keyBytes / 2 : keyBytes;
        if (!cipherName.equals("aes") || (aesBytes != 16 && aesBytes != 24 && aesBytes != 32)
                || (mode == Mode.XTS && keyBytes % 2 != 0)) {
            throw fail("unknown cipher algorithm: " + cipherName + " (expecting \"aes\", etc)");
        }
        LuksHash hash = LuksHash.lookup(hashSpec);
        IvKind ivgen = switch (ivName) {
            case "plain" -> IvKind.PLAIN;
            case "plain64" -> IvKind.PLAIN64;
            case "essiv" -> IvKind.ESSIV;
            default -> throw fail("unknown IV generation algorithm: " + ivName
                    + " (expecting \"plain\", \"plain64\" etc)");
        };
        if (ivgen == IvKind.ESSIV) {
            if (ivHash == null) throw fail("incorrect IV generator hash specification (expecting essiv:HASH)");
            if (ivHash.length != 16 && ivHash.length != 24 && ivHash.length != 32) {
                throw fail("no AES cipher available with key size " + ivHash.length + " for essiv:" + ivHash.luksName);
            }
        }
        if (mode != Mode.XTS && mode != Mode.CBC) {
            throw fail("cipher algorithm aes-" + aesBytes * 8 + " in mode " + modeName + " is not supported");
        }
        CipherSpec spec = new CipherSpec(keyBytes, mode, ivgen, ivgen == IvKind.ESSIV ? ivHash : null, hash);
        Log.debug("LUKS parsed ciphers: " + spec);
        return spec;
    }

    /** A new cipher (for one thread at a time) with {@code key}: the master key or a key slot's key. */
    SectorCipher newCipher(byte[] key) {
        IvGenerator ivs = switch (ivgen) {
            case PLAIN -> new IvGenerator.Plain(4);
            case PLAIN64 -> new IvGenerator.Plain(8);
            case ESSIV -> new IvGenerator.Essiv(ivHash, key);
        };
        return mode == Mode.XTS ? new XtsSectors(key, ivs) : new CbcSectors(key, ivs);
    }

    /** nbdkit's spelling, e.g. {@code aes-256 xts sha256 plain64}. */
    @Override
    public String toString() {
        int aesBits = (mode == Mode.XTS ? keyBytes / 2 : keyBytes) * 8;
        return "aes-" + aesBits + " " + mode.name().toLowerCase(java.util.Locale.ROOT) + " " + hash.luksName + " "
                + ivgen.name().toLowerCase(java.util.Locale.ROOT) + (ivHash == null ? "" : ":" + ivHash.luksName);
    }

    static PluginException fail(String message) { return new PluginException(Errno.EIO, message); }
}
