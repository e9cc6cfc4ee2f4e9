package dev.jnbdkit.filters.luks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.jnbdkit.spi.PluginException;
import org.junit.jupiter.api.Test;

/** The header's cipher strings: what is accepted, and nbdkit's messages for the rest. */
class CipherSpecTest {
    private static String parsed(String name, String mode, String hash, int keyBytes) {
        return CipherSpec.parse(name, mode, hash, keyBytes).toString();
    }

    private static String refused(String name, String mode, String hash, int keyBytes) {
        return assertThrows(PluginException.class, () -> CipherSpec.parse(name, mode, hash, keyBytes)).getMessage();
    }

    @Test
    void accepted() {
        assertEquals("aes-256 xts sha256 plain64", parsed("aes", "xts-plain64", "sha256", 64));
        assertEquals("aes-128 xts sha1 plain", parsed("aes", "xts-plain", "sha1", 32));
        assertEquals("aes-192 xts sha512 plain64", parsed("aes", "xts-plain64", "sha512", 48));
        assertEquals("aes-256 cbc sha256 essiv:sha256", parsed("aes", "cbc-essiv:sha256", "sha256", 32));
        assertEquals("aes-192 cbc ripemd160 plain64", parsed("aes", "cbc-plain64", "ripemd160", 24));
        assertEquals("aes-128 cbc md5 plain", parsed("aes", "cbc-plain", "md5", 16));
    }

    @Test
    void refusedAsNbdkitRefuses() {
        assertEquals("incorrect cipher_mode header, expecting mode-ivgenerator but got \"ecb\"", refused("aes", "ecb", "sha1", 32));
        assertEquals("unknown hash algorithm: whirlpool (expecting \"md5\", \"sha1\", \"sha224\", etc)",
                refused("aes", "cbc-essiv:whirlpool", "sha1", 32));
        assertEquals("unknown cipher mode: ofb (expecting \"ecb\", \"cbc\", \"xts\" or \"ctr\")", refused("aes", "ofb-plain", "sha1", 32));
        assertEquals("unknown cipher algorithm: serpent (expecting \"aes\", etc)", refused("serpent", "xts-plain64", "sha256", 64));
        assertEquals("unknown cipher algorithm: aes (expecting \"aes\", etc)", refused("aes", "cbc-plain64", "sha256", 20));
        assertEquals("unknown hash algorithm: whirlpool (expecting \"md5\", \"sha1\", \"sha224\", etc)",
                refused("aes", "xts-plain64", "whirlpool", 64));
        assertEquals("unknown IV generation algorithm: benbi (expecting \"plain\", \"plain64\" etc)",
                refused("aes", "cbc-benbi", "sha256", 32));
        assertEquals("cipher algorithm aes-256 in mode ctr is not supported", refused("aes", "ctr-plain64", "sha256", 32));
        assertEquals("no AES cipher available with key size 20 for essiv:sha1", refused("aes", "cbc-essiv:sha1", "sha256", 32));
    }
}
