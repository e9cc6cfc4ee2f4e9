package dev.jnbdkit.filters.luks;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import org.junit.jupiter.api.Test;

/** PBKDF2 against RFC 6070's HMAC-SHA1 vectors and the JDK's own PBKDF2 key factories. */
class Pbkdf2Test {
    private static String derive(LuksHash h, String password, String salt, int iterations, int len) {
        return Hex.of(Pbkdf2.derive(h, password.getBytes(StandardCharsets.ISO_8859_1),
                salt.getBytes(StandardCharsets.ISO_8859_1), iterations, len));
    }

    @Test
    void rfc6070() {
        assertEquals("0c60c80f961f0e71f3a9b524af6012062fe037a6", derive(LuksHash.SHA1, "password", "salt", 1, 20));
        assertEquals("ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957", derive(LuksHash.SHA1, "password", "salt", 2, 20));
        assertEquals("4b007901b765489abead49d926f721d065a429c1", derive(LuksHash.SHA1, "password", "salt", 4096, 20));
        assertEquals("3d2eec4fe41c849b80c8d83662c0e44a8b291a964cf2f07038",
                derive(LuksHash.SHA1, "passwordPASSWORDpassword", "saltSALTsaltSALTsaltSALTsaltSALTsalt", 4096, 25));
        assertEquals("56fa6aa75548099dcc37d7f03425e0c3", derive(LuksHash.SHA1, "pass\0word", "sa\0lt", 4096, 16));
    }

    /** The hashes the JDK's key factories lack, and an empty passphrase (values from Python's hashlib). */
    @Test
    void md5Ripemd160AndEmpty() {
        assertEquals("8d189946a32d883622a16ae18af0632f5791d5e7b1abb0ab1757d28ce34056140335105994495f91",
                derive(LuksHash.MD5, "password", "salt", 1000, 40));
        assertEquals("b5c5682c46fdb315930cfc54e82d0987e6ef938fee9320191bfbac2700de4ed4518152edc1ea7755",
                derive(LuksHash.RIPEMD160, "password", "salt", 1000, 40));
        assertEquals("dd45395f3902afc6397a05d06ab6c69c06fd2e85", derive(LuksHash.MD5, "", "salt", 10, 20));
        assertEquals("31bd9639df1e0ee6cbebf1603c6d9cddf8029246", derive(LuksHash.RIPEMD160, "", "salt", 10, 20));
        assertEquals("4c9d748ae0f9043b42a414cc80500da37a3ed699", derive(LuksHash.SHA256, "", "salt", 10, 20));
    }

    @Test
    void sameAsTheJdk() throws Exception {
        byte[] salt = new byte[32];
        for (int i = 0; i < salt.length; i++) salt[i] = (byte) (i * 7);
        for (LuksHash h : new LuksHash[] {LuksHash.SHA1, LuksHash.SHA224, LuksHash.SHA256, LuksHash.SHA384, LuksHash.SHA512}) {
            for (int len : new int[] {20, 32, 64, 100}) {
                String jdkName = "PBKDF2WithHmac" + h.name();
                SecretKeyFactory f = SecretKeyFactory.getInstance(jdkName);
                byte[] want = f.generateSecret(new PBEKeySpec("secret passphrase".toCharArray(), salt, 1000, len * 8)).getEncoded();
                byte[] got = Pbkdf2.derive(h, "secret passphrase".getBytes(StandardCharsets.US_ASCII), salt, 1000, len);
                assertEquals(Hex.of(want), Hex.of(got), jdkName + " " + len);
            }
        }
    }
}
