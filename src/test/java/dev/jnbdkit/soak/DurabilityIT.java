package dev.jnbdkit.soak;

import dev.jnbdkit.it.Server;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * With the file plugin, a FUA write and a flush are acknowledged only after fdatasync/fsync on
 * the disk's descriptor has returned. A kill -9 proves nothing (the data would still be in the
 * page cache), so the server runs under {@code strace -f} and the trace (chronological across
 * threads) is checked: for the FUA write, the worker thread that did the pwrite64 then ran a sync
 * on the disk fd, and that sync's "= 0" comes before the system call that starts writing the
 * reply (found by reply magic and cookie, whichever thread sends it); for the flush, a sync on
 * the disk fd started after the FUA reply and returned before the flush's reply. As a control,
 * the plain write's reply follows its pwrite64 with no sync in between.
 */
class DurabilityIT {
    static final Pattern LINE = Pattern.compile("^(\\d+)\\s+(\\S+)\\s+(.*)$");

    /** strace must be there: installed through apt-get when run as root, else the test fails. */
    static String strace() throws Exception {
        for (String p : new String[] {"/usr/bin/strace", "/bin/strace"}) if (Files.isExecutable(Path.of(p))) return p;
        boolean root = "root".equals(System.getProperty("user.name"));
        if (root && Files.isExecutable(Path.of("/usr/bin/apt-get"))) {
            run(List.of("apt-get", "update", "-q"));
            run(List.of("apt-get", "install", "-y", "-q", "--no-install-recommends", "strace"));
            if (Files.isExecutable(Path.of("/usr/bin/strace"))) return "/usr/bin/strace";
        }
        throw new AssertionError("strace is required (Debian package strace): apt-get install strace");
    }

    static String run(List<String> cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(300, TimeUnit.SECONDS) || p.exitValue() != 0) throw new AssertionError(cmd + " failed:\n" + out);
        return out;
    }

    /** One system call from the trace: where it started, and where (and with what) it returned. */
    record Call(int tid, String name, String args, int startLine, int endLine, String result) {}

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void fuaWriteAndFlushAreAcknowledgedAfterTheSyncReturns() throws Exception {
        String strace = strace();
        Path dir = SoakServer.workDir("durability");
        Path disk = dir.resolve("disk.img");
        Files.deleteIfExists(disk);
        Files.write(disk, new byte[1 << 20]);
        Path trace = dir.resolve("strace.log");
        Files.deleteIfExists(trace);
        Path socket = dir.resolve("sock");
        Files.deleteIfExists(socket);
        List<String> argv = List.of(strace, "-f", "-tt", "-xx", "-s", "64", "-o", trace.toString(),
                "-e", "trace=openat,fdatasync,fsync,pwrite64,pwritev,write,writev,sendto,sendmsg",
                Server.program(), "-f", "-U", socket.toString(), "file", disk.toString());
        String cookies;
        try (Server server = SoakServer.start(argv, List.of(), socket, dir.resolve("server.log"))) {
            Path client = Path.of(DurabilityIT.class.getResource("/soak/durability_client.py").toURI());
            cookies = run(List.of(SoakIT.PYTHON, client.toString(), socket.toString())).trim();
            // strace blocks SIGTERM while it runs a command (-o FILE): signal the server itself.
            ProcessHandle jvm = server.handle().children().findFirst()
                    .orElseThrow(() -> new AssertionError("strace has no child"));
            jvm.destroy();
            server.awaitExit(java.time.Duration.ofSeconds(60));
        }
        Matcher m = Pattern.compile("plain=(\\d+) fua=(\\d+) flush=(\\d+)").matcher(cookies);
        assertTrue(m.find(), "client output: " + cookies);
        List<Call> calls = parse(Files.readAllLines(trace));

        String diskFd = null;
        for (Call c : calls) {
            if (c.name().equals("openat") && c.args().contains("\"" + hex(disk.toString()) + "\"")) diskFd = c.result();
        }
        assertNotNull(diskFd, "no openat of " + disk + " in the trace");
        String fd = diskFd;

        long plainCookie = Long.parseLong(m.group(1)), fuaCookie = Long.parseLong(m.group(2)),
                flushCookie = Long.parseLong(m.group(3));
        StringBuilder report = new StringBuilder("durability (strace -f): disk fd " + fd);

        // FUA write: the worker that wrote the data syncs, and the reply (which the combining
        // reply writer may send from another thread) starts only after that sync returned.
        Call fuaData = only(calls, c -> c.name().startsWith("pwrite") && c.args().startsWith(fd + ",")
                && c.args().endsWith(", 4096, 8192"), "the FUA write's pwrite64");
        Call fuaSync = first(calls, c -> isSync(c, fd) && c.tid() == fuaData.tid() && c.startLine() > fuaData.endLine());
        assertNotNull(fuaSync, "fua: no fdatasync/fsync on fd " + fd + " in thread " + fuaData.tid() + " after its pwrite64");
        assertEquals("0", fuaSync.result(), "fua: sync failed");
        Call fuaReply = replyFor(calls, fuaCookie);
        assertTrue(fuaSync.endLine() < fuaReply.startLine(), "fua: reply started before the sync returned");
        report.append(String.format("; FUA write (cookie %d): pwrite64 line %d, %s line %d-%d (thread %d), reply %s line %d (thread %d)",
                fuaCookie, fuaData.startLine() + 1, fuaSync.name(), fuaSync.startLine() + 1, fuaSync.endLine() + 1,
                fuaSync.tid(), fuaReply.name(), fuaReply.startLine() + 1, fuaReply.tid()));

        // Flush: sent only once the FUA reply arrived; a sync on the disk starts after that and
        // returns before the flush's reply starts.
        Call flushReply = replyFor(calls, flushCookie);
        Call flushSync = first(calls, c -> isSync(c, fd) && c.startLine() > fuaReply.startLine()
                && c.endLine() < flushReply.startLine() && "0".equals(c.result()));
        assertNotNull(flushSync, "flush: no completed fdatasync/fsync on fd " + fd + " before its reply");
        report.append(String.format("; flush (cookie %d): %s line %d-%d (thread %d), reply %s line %d (thread %d)",
                flushCookie, flushSync.name(), flushSync.startLine() + 1, flushSync.endLine() + 1, flushSync.tid(),
                flushReply.name(), flushReply.startLine() + 1, flushReply.tid()));

        // Control: the plain write is answered with no sync at all between its pwrite64 and its reply.
        Call plainData = only(calls, c -> c.name().startsWith("pwrite") && c.args().startsWith(fd + ",")
                && c.args().endsWith(", 4096, 0"), "the plain write's pwrite64");
        Call plainReply = replyFor(calls, plainCookie);
        assertTrue(plainData.endLine() < plainReply.startLine());
        Call stray = first(calls, c -> isSync(c, fd) && c.startLine() > plainData.startLine() && c.startLine() < plainReply.startLine());
        if (stray != null) throw new AssertionError("plain write was synced: the trace is not read as intended");
        report.append("; plain write: no sync before its reply (control)");
        System.out.println(report);
        Results.record("DurabilityIT", report.toString());
    }

    static boolean isSync(Call c, String fd) {
        return (c.name().equals("fdatasync") || c.name().equals("fsync")) && c.args().equals(fd);
    }

    static Call first(List<Call> calls, java.util.function.Predicate<Call> p) {
        for (Call c : calls) if (p.test(c)) return c;
        return null;
    }

    static Call only(List<Call> calls, java.util.function.Predicate<Call> p, String what) {
        List<Call> l = calls.stream().filter(p).toList();
        assertEquals(1, l.size(), what + ": " + l);
        return l.getFirst();
    }

    static String hex(String s) {
        StringBuilder b = new StringBuilder();
        for (byte x : s.getBytes()) b.append("\\x").append(String.format("%02x", x));
        return b.toString();
    }

    /** The system call that wrote the reply header (any reply magic) carrying {@code cookie}. */
    static Call replyFor(List<Call> calls, long cookie) {
        String cookieHex = HexFormat.of().formatHex(java.nio.ByteBuffer.allocate(8).putLong(cookie).array());
        for (Call c : calls) {
            if (!List.of("write", "writev", "sendto", "sendmsg").contains(c.name())) continue;
            String bytes = c.args().replace("\\x", "");
            for (String magic : new String[] {"67446698", "668e33ef", "6e8a278c"}) {
                int at = bytes.indexOf("\"" + magic);
                if (at >= 0 && bytes.startsWith(cookieHex, at + 1 + 16)) return c;
            }
        }
        throw new AssertionError("no reply with cookie " + cookie + " in the trace");
    }

    /** Joins "<unfinished ...>" and "<... resumed>" halves; keeps start and end line numbers. */
    static List<Call> parse(List<String> lines) throws IOException {
        List<Call> out = new ArrayList<>();
        java.util.Map<Integer, Object[]> pending = new java.util.HashMap<>();
        Pattern call = Pattern.compile("^([a-z0-9_]+)\\((.*)$");
        Pattern resumed = Pattern.compile("^<\\.\\.\\. ([a-z0-9_]+) resumed>(.*)$");
        for (int i = 0; i < lines.size(); i++) {
            Matcher l = LINE.matcher(lines.get(i));
            if (!l.matches()) continue;
            int tid = Integer.parseInt(l.group(1));
            String rest = l.group(3);
            Matcher r = resumed.matcher(rest);
            if (r.matches()) {
                Object[] p = pending.remove(tid);
                if (p == null) continue;
                String tail = r.group(2);
                out.add(new Call(tid, (String) p[0], args((String) p[1] + tail), (int) p[2], i, result(tail)));
                continue;
            }
            Matcher c = call.matcher(rest);
            if (!c.matches()) continue;
            String body = c.group(2);
            if (body.endsWith("<unfinished ...>")) {
                pending.put(tid, new Object[] {c.group(1), body.substring(0, body.length() - "<unfinished ...>".length()), i});
            } else {
                out.add(new Call(tid, c.group(1), args(body), i, i, result(body)));
            }
        }
        return out;
    }

    /** ") = RESULT" at the end of a line, however strace aligned it. */
    private static final Pattern RESULT = Pattern.compile("\\)\\s+=\\s+(\\S+)[^)]*$");

    private static String args(String body) {
        Matcher m = RESULT.matcher(body);
        return (m.find() ? body.substring(0, m.start()) : body).trim();
    }

    private static String result(String body) {
        Matcher m = RESULT.matcher(body);
        return m.find() ? m.group(1) : "?";
    }
}
