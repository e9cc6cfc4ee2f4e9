package dev.jnbdkit.plugins.sh;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.PluginException;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The errno name as the first word of stderr, and the message shapes of failed calls. */
class ScriptErrorsTest {
    private static PluginException fail(String stderr, int dflt) {
        return ScriptErrors.failure("/s.sh", stderr.getBytes(StandardCharsets.UTF_8), dflt);
    }

    @Test
    void errnoNameThenMessage() {
        PluginException e = fail("ENOSPC Out of space\n", Errno.EIO);
        assertEquals(Errno.ENOSPC, e.errno());
        assertEquals("/s.sh: Out of space", e.getMessage());
        assertEquals(Errno.EPERM, fail("EPERM", Errno.EIO).errno());
        assertEquals("/s.sh: ", fail("EPERM\n", Errno.EIO).getMessage());
        assertEquals(Errno.EINVAL, fail("einval\tlower case", Errno.EIO).errno());
        assertEquals(Errno.ENOTSUP, fail("ENOTSUP no fast zero", Errno.EIO).errno());
        assertEquals(Errno.EOPNOTSUPP, fail("EOPNOTSUPP", Errno.EIO).errno());
        assertEquals(Errno.EROFS, fail("EROFS read-only", Errno.EIO).errno());
        assertEquals(Errno.EDQUOT, fail("EDQUOT", Errno.EIO).errno());
        assertEquals(Errno.EFBIG, fail("EFBIG too big", Errno.EIO).errno());
        assertEquals(Errno.EOVERFLOW, fail("EOVERFLOW", Errno.EIO).errno());
        assertEquals(Errno.ESHUTDOWN, fail("ESHUTDOWN bye", Errno.EIO).errno());
        assertEquals(Errno.ENOMEM, fail("ENOMEM", Errno.EIO).errno());
    }

    @Test
    void anythingElseIsTheDefaultWithTheWholeLine() {
        PluginException e = fail("EINVALID is not EINVAL", Errno.EIO);
        assertEquals(Errno.EIO, e.errno());
        assertEquals("/s.sh: EINVALID is not EINVAL", e.getMessage());
        assertEquals(Errno.ESHUTDOWN, fail("something broke", Errno.ESHUTDOWN).errno());
        assertEquals(Errno.EIO, fail("ENOENT no such thing", Errno.EIO).errno());
    }

    @Test
    void onlyTheFirstLineIsTheMessage() {
        PluginException e = fail("ENOMEM first line\nsecond line\n", Errno.EIO);
        assertEquals(Errno.ENOMEM, e.errno());
        assertEquals("/s.sh: first line", e.getMessage());
    }

    @Test
    void emptyStderrSaysSo() {
        for (String s : new String[] {"", "\n", "\n\n"}) {
            PluginException e = fail(s, Errno.EIO);
            assertEquals(Errno.EIO, e.errno());
            assertEquals("/s.sh: script exited with error, but did not print an error message on stderr", e.getMessage());
        }
        assertEquals(Errno.ESHUTDOWN, fail("", Errno.ESHUTDOWN).errno());
    }

    @Test
    void exitStatuses() {
        assertEquals(ExitStatus.OK, ExitStatus.of(0));
        assertEquals(ExitStatus.ERROR, ExitStatus.of(1));
        assertEquals(ExitStatus.MISSING, ExitStatus.of(2));
        assertEquals(ExitStatus.FALSE, ExitStatus.of(3));
        assertEquals(ExitStatus.SHUTDOWN_OK, ExitStatus.of(4));
        assertEquals(ExitStatus.SHUTDOWN_ERROR, ExitStatus.of(5));
        assertEquals(ExitStatus.DISCONNECT_FORCE, ExitStatus.of(6));
        assertEquals(ExitStatus.DISCONNECT_OK, ExitStatus.of(7));
        assertEquals(ExitStatus.DISCONNECT_ERROR, ExitStatus.of(8));
        for (int reserved = 9; reserved <= 15; reserved++) assertEquals(ExitStatus.ERROR, ExitStatus.of(reserved));
        assertEquals(ExitStatus.ERROR, ExitStatus.of(16));
        assertEquals(ExitStatus.ERROR, ExitStatus.of(137)); // killed by SIGKILL
        assertEquals(8, ExitStatus.MAX_KNOWN);
    }

    @Test
    void execFailureKeepsTheReason() {
        assertEquals("Permission denied", ScriptRunner.execFailure(new java.io.IOException(
                "Cannot run program \"/tmp\": Exec failed, error: 13 (Permission denied) ")));
        assertEquals("No such file or directory", ScriptRunner.execFailure(new java.io.IOException(
                "Cannot run program \"/x\": error=2, No such file or directory")));
    }
}
