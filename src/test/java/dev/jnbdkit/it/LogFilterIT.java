package dev.jnbdkit.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jnbdkit.it.Server.Impl;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * nbdkit-log-filter: the log file line for line as nbdkit writes it (timestamps aside), logappend,
 * and the log script's variables. Also the tool the capability-filter tests use to see what
 * reaches the layer below a filter.
 */
class LogFilterIT extends FilterItBase {
    static final String ALL_CALLS = """
            h.pwrite(b"a" * 512, 0, nbd.CMD_FLAG_FUA)
            h.pread(512, 0)
            h.zero(512, 512, nbd.CMD_FLAG_NO_HOLE)
            h.zero(512, 512, nbd.CMD_FLAG_FAST_ZERO)
            h.trim(512, 1024)
            h.flush()
            h.cache(512, 0)
            h.block_status(65536, 0, lambda *a: 0)
            h.block_status(65536, 0, lambda *a: 0, nbd.CMD_FLAG_REQ_ONE)
            h.shutdown()
            """;

    @Test
    void everyCallAsNbdkitLogsIt() {
        Path img = sparse("disk.img", 1 << 20, 8192, 4096);
        // noextents below: both servers then report the same one data extent (their memory
        // plugins' own extents differ); nbdkit 1.32 aborts on a fast zero to the file plugin.
        String log = sameLog(args("--filter=log", "--filter=noextents", "memory", "1M"), args(), s -> {
            Cmd.of("nbdinfo", "--list", s.uri()).ok();
            return py(s, ALL_CALLS);
        });
        assertTrue(log.startsWith("Ready thread_model=3\nListExports id=1 readonly=0 tls=0 ...\n...ListExports id=1 exports=(\"\") return=0\n"), log);
        assertTrue(log.contains("connection=2 Write id=1 offset=0x0 count=0x200 fua=1 ...\nconnection=2 ...Write id=1 return=0"), log);
        assertTrue(log.contains("connection=2 Zero id=4 offset=0x200 count=0x200 trim=1 fua=0 fast=1 ..."), log);
        // Below the log, noextents: the log offers no extents, so block status never reaches it.
        assertTrue(log.contains("extents=0 cache=2") && !log.contains("Extents id="), log);
        assertTrue(log.contains("connection=2 Disconnect transactions=7"), log);
    }

    /** Extents as the plugin reports them (a sparse file: data, hole). */
    @Test
    void extentsOfAFile() {
        Path img = sparse("disk.img", 1 << 20, 8192, 4096);
        String log = sameLog(args("--filter=log", "-r", "file", img.toString()), args(), s -> py(s, """
                h.block_status(65536, 0, lambda *a: 0)
                h.block_status(65536, 0, lambda *a: 0, nbd.CMD_FLAG_REQ_ONE)
                h.shutdown()
                """));
        assertTrue(log.contains("connection=1 ...Extents id=1 extents=(0x0 0x2000 \"hole,zero\" 0x2000 0x1000 \"\" 0x3000 0xd000 \"hole,zero\") return=0"), log);
    }

    /** Failures: {@code return=-1 error=ENAME}; export names quoted as nbdkit quotes them. */
    @Test
    void errorsAndQuoting() {
        String log = sameLog(args("--filter=log", "--filter=error", "memory", "1M"),
                args("error-pread-rate=1", "error-pread=ENOSPC", "error-zero-rate=1", "error-zero=EPERM"), s -> {
                    return py(s, """
                            print(expect_err("ENOSPC", lambda: h.pread(512, 0)))
                            print(expect_err("EPERM", lambda: h.zero(512, 0)))
                            h.shutdown()
                            import urllib.parse
                            h2 = nbd.NBD()
                            name = 'x"y$z\\\\w`\\'q p'
                            h2.connect_uri(uri.replace(":///", ":///" + urllib.parse.quote(name, safe=""), 1))
                            h2.shutdown()
                            """);
                });
        assertTrue(log.contains("connection=1 ...Read id=1 return=-1 error=ENOSPC"), log);
        assertTrue(log.contains("connection=1 ...Zero id=2 return=-1 error=EPERM"), log);
        assertTrue(log.contains("Connect export=\"x\\\"y\\$z\\\\w\\`'q p\""), log);
    }

    /** Global callbacks that fail: a refused client (limit), a refused export list (exportname). */
    @Test
    void failedGlobalCallbacks() {
        String log = sameLog(args("--filter=log", "--filter=limit", "--filter=exportname", "memory", "1M"),
                args("exportname-list=error"), s -> {
                    Cmd.of("nbdinfo", "--list", s.uri()).fails();
                    return py(s, """
                            h2 = nbd.NBD()
                            try:
                                h2.connect_uri(uri)
                                print("second client connected")
                            except nbd.Error:
                                print("second client refused")
                            h.shutdown()
                            """);
                });
        assertTrue(log.contains("ListExports id=1 readonly=0 tls=0 ...\n...ListExports id=1 return=-1 error=EINVAL"), log);
        assertTrue(log.contains("...Preconnect id=4 return=-1 error=EINVAL"), log);
    }

    /** A read-only connection's flags, and a stack where the log sees what an inner filter changed. */
    @Test
    void readOnlyAndInnerPosition() {
        String log = sameLog(args("-r", "--filter=offset", "--filter=log", "memory", "1M", "offset=4096"), args(), s -> {
            return py(s, "h.pread(512, 0)\nh.shutdown()\n");
        });
        assertTrue(log.contains("write=0 flush=1 rotational=0 trim=0 zero=0 fua=0"), log);
        assertTrue(log.contains("Read id=1 offset=0x1000 count=0x200"), log);
    }

    @Test
    void logappend() throws IOException {
        for (Impl impl : Impl.values()) {
            Path log = tmp.resolve("append." + impl.name());
            Files.writeString(log, "old line\n");
            Server s = start(impl, args("--filter=log", "memory", "1M", "logfile=" + log, "logappend=true"));
            s.stop();
            assertTrue(Files.readString(log).startsWith("old line\n"), impl + ": logappend=true truncated the log");
            s = start(impl, args("--filter=log", "memory", "1M", "logfile=" + log, "logappend=false"));
            s.stop();
            assertTrue(Files.readString(log).matches(STAMP + "Ready thread_model=3\n(.|\n)*") && !Files.readString(log).contains("old line"),
                    impl + ": logappend=false did not start a new log: " + Files.readString(log));
        }
        badParameter("could not decipher boolean (maybe)", "--filter=log", "memory", "1M", "logfile=/dev/null", "logappend=maybe");
    }

    /** The log script sees $act $type $id $connection $return $error and the fields (lists as arrays). */
    @Test
    void logscript() throws IOException {
        String script = "echo \"$type|$act|$id|$connection|$return|$error|$offset|$count|${extents[1]}|${extents[2]}|$export|$thread_model\" >> OUT";
        String[] outs = new String[2];
        Path img = sparse("s.img", 1 << 20, 0, 4096);
        for (Impl impl : Impl.values()) {
            Path out = tmp.resolve("script." + impl.name());
            Server s = start(impl, args("--filter=log", "--filter=error", "file", img.toString(), "error-pread-rate=1",
                    "logscript=" + script.replace("OUT", out.toString())));
            py(s, """
                    h.block_status(1 << 20, 0, lambda *a: 0)
                    expect_err("EIO", lambda: h.pread(512, 0))
                    h.shutdown()
                    """);
            s.stop();
            // nbdkit runs the scripts in the background (their order varies): compare sorted.
            List<String> l = new ArrayList<>(Files.readAllLines(out));
            l.removeIf(x -> x.contains("|Preconnect|") || x.contains("|Fork|"));
            java.util.Collections.sort(l);
            outs[impl.ordinal()] = String.join("\n", l);
        }
        assertEquals(outs[1], outs[0], "log scripts saw different variables");
        assertTrue(outs[0].contains("PRINT|Ready||||||||||3"), outs[0]);
        assertTrue(outs[0].contains("ENTER|Extents|1|1|||0x0|0x100000|||"), outs[0]);
        assertTrue(outs[0].contains("LEAVE|Extents|1|1|0||||0x1000|"), outs[0]);
        assertTrue(outs[0].contains("LEAVE|Read|2|1|-1|EIO|"), outs[0]);
    }
}
