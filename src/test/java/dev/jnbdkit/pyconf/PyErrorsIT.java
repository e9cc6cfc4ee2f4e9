package dev.jnbdkit.pyconf;

import dev.jnbdkit.pyconf.Servers.Spec;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Exceptions become EIO; nbdkit.set_error(errno) before raising chooses the error the client
 * sees, mapped to the NBD error set as nbdkit maps it; failures in each callback; log shape.
 */
class PyErrorsIT extends PyConfBase {
    /** errno numbers on Linux x86-64 (conf.py's "byoffset" mode fails a read at 512 * errno). */
    static final int EPERM = 1, ENOENT = 2, EIO = 5, EBADF = 9, ENOMEM = 12, EACCES = 13, EBUSY = 16,
            EINVAL = 22, EFBIG = 27, ENOSPC = 28, EROFS = 30, ERANGE = 34, EOVERFLOW = 75,
            EOPNOTSUPP = 95, ESHUTDOWN = 108, EDQUOT = 122;

    @Test
    void errnoMapping() throws Exception {
        int[] all = {EPERM, ENOENT, EIO, EBADF, ENOMEM, EACCES, EBUSY, EINVAL, EFBIG, ENOSPC, EROFS, ERANGE,
                EOVERFLOW, EOPNOTSUPP, ESHUTDOWN, EDQUOT};
        List<String> ops = new ArrayList<>();
        for (int e : all) ops.add("read:" + 512 * e + ":512");
        for (int e : all) ops.add("write:" + 512 * e + ":512:1");
        Obs j = same(new Spec("conf.py", "size=64k").env("PYCONF_FAIL", "pread=byoffset,pwrite=byoffset"),
                s -> Servers.probe(s, "-", ops.toArray(String[]::new)));
        // the contract's table: EPERM, ENOSPC, ENOMEM, ESHUTDOWN, EINVAL pass; EROFS becomes EPERM;
        // anything NBD cannot express becomes EINVAL
        assertLine(j.client(), "read:512:512 -> ERR EPERM");
        assertLine(j.client(), "read:" + 512 * ENOSPC + ":512 -> ERR ENOSPC");
        assertLine(j.client(), "read:" + 512 * EROFS + ":512 -> ERR EPERM");
        assertLine(j.client(), "read:" + 512 * ENOMEM + ":512 -> ERR ENOMEM");
        assertLine(j.client(), "read:" + 512 * ESHUTDOWN + ":512 -> ERR ESHUTDOWN");
        assertLine(j.client(), "read:" + 512 * EINVAL + ":512 -> ERR EINVAL");
        assertLine(j.client(), "read:" + 512 * EIO + ":512 -> ERR EIO");
        assertLine(j.client(), "read:" + 512 * EBADF + ":512 -> ERR EINVAL");
        assertLine(j.client(), "write:" + 512 * EACCES + ":512:1 -> ERR EINVAL");
        assertLine(j.client(), "read:" + 512 * EFBIG + ":512 -> ERR ENOSPC");
        assertLine(j.client(), "read:" + 512 * EDQUOT + ":512 -> ERR ENOSPC");
        assertLine(j.client(), "read:" + 512 * EOVERFLOW + ":512 -> ERR EINVAL");
        assertLine(j.client(), "read:" + 512 * EOPNOTSUPP + ":512 -> ERR EINVAL");
    }

    @Test
    void exceptionWithoutSetErrorIsEio() throws Exception {
        Obs j = same(new Spec("conf.py").env("PYCONF_FAIL",
                        "pread=raise,pwrite=raise,flush=raise,trim=raise,zero=raise,cache=raise,extents=raise")
                        .env("PYCONF_CAPS", "can_cache=native"),
                s -> Servers.probe(s, "-", "read:0:512", "write:0:512:1", "flush", "trim:0:512", "zero:0:512",
                        "cache:0:512", "extents:0:512", "info"));
        for (String op : List.of("read:0:512", "write:0:512:1", "flush", "trim:0:512", "zero:0:512", "cache:0:512",
                "extents:0:512")) {
            assertLine(j.client(), op + " -> ERR EIO");
        }
    }

    @Test
    void setErrorInEachDataCallback() throws Exception {
        Obs j = same(new Spec("conf.py").env("PYCONF_FAIL",
                        "pread=ENOMEM,pwrite=ENOSPC,flush=ESHUTDOWN,trim=EPERM,zero=EROFS,cache=EINVAL,extents=ENOSPC")
                        .env("PYCONF_CAPS", "can_cache=native"),
                s -> Servers.probe(s, "-", "read:0:512", "write:0:512:1", "flush", "trim:0:512", "zero:0:512",
                        "cache:0:512", "extents:0:512"));
        assertLine(j.client(), "read:0:512 -> ERR ENOMEM");
        assertLine(j.client(), "write:0:512:1 -> ERR ENOSPC");
        assertLine(j.client(), "flush -> ERR ESHUTDOWN");
        assertLine(j.client(), "trim:0:512 -> ERR EPERM");
        assertLine(j.client(), "zero:0:512 -> ERR EPERM");
        assertLine(j.client(), "cache:0:512 -> ERR EINVAL");
        assertLine(j.client(), "extents:0:512 -> ERR ENOSPC");
    }

    /** set_error without raising is not a failure. */
    @Test
    void setErrorWithoutRaising() throws Exception {
        Obs j = same(new Spec("conf.py").env("PYCONF_FAIL", "pread=noraise"),
                s -> Servers.probe(s, "-", "read:0:512"));
        assertLine(j.client(), "read:0:512 -> md5=bf619eac0cdf head=0000000000000000");
    }

    /** open, get_size or a can_* raising: the client cannot use the export; the server goes on. */
    @Test
    void failuresWhileConnecting() throws Exception {
        for (String fail : List.of("open=raise", "get_size=EPERM", "can_write=raise")) {
            Obs j = same(new Spec("conf.py").env("PYCONF_FAIL", fail).env("PYCONF_CAPS", "can_write=1"),
                    s -> {
                        String first = Servers.probe(s, "-", "read:0:512");
                        assertTrue(s.isAlive(), s.log());
                        return first;
                    });
            assertTrue(j.client().startsWith("connect -> ERR"), fail + ": " + j.client());
        }
    }

    /**
     * The log line has nbdkit's shape: "PROG: python[1]: error: SCRIPT: pread: error: Traceback..."
     * with the traceback's lines.
     */
    @Test
    void logShape() throws Exception {
        var m = both(new Spec("conf.py").env("PYCONF_FAIL", "pread=raise"), s -> Servers.probe(s, "-", "read:0:512"));
        List<String> shapes = new ArrayList<>();
        for (var e : m.entrySet()) {
            String log = e.getValue().log().replace(e.getKey().progname() + ": ", "PROG: ");
            shapes.add(log.lines().filter(l -> !l.isBlank()).map(l -> l.replaceAll("line \\d+", "line N"))
                    .filter(l -> !l.matches("\\s*\\^+\\s*")).reduce("", (a, b) -> a + b + "\n"));
        }
        assertTrue(shapes.get(0).startsWith("PROG: python[1]: error: " + Servers.plugin("conf.py") + ": pread: error: Traceback"),
                shapes.get(0));
        org.junit.jupiter.api.Assertions.assertEquals(shapes.get(1), shapes.get(0));
    }
}
