package dev.jnbdkit.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The sh plugin (nbdkit-sh-plugin(1)) through real clients, with one script written for nbdkit
 * (src/test/resources/sh/disk.sh: every method) run unchanged by both servers and compared:
 * bytes, extents, can_* answers, the method calls the script sees, errors and messages.
 *
 * <p>Where nbdkit 1.32 and the 1.34 page differ (exit statuses 4-8, max_known_status), only the
 * server under test is checked, against the page.
 */
class ShPluginIT extends ScriptPluginItBase {

    static String disk() { return script("disk.sh").toString(); }

    /** Every method of a read-write disk: same answers, same data, same extents as nbdkit. */
    @Test
    void diskScriptMatchesNbdkit() {
        Pair p = pair("sh", disk(), "1M", "fua=native", "cache=native", "multi_conn=1",
                "map=0 64K;64K 64K hole;128K 896K hole,zero");
        String facts = sameFacts(p);
        assertTrue(facts.contains("description=disk.sh export ''"), facts);
        assertTrue(facts.contains("can_fua=true") && facts.contains("can_cache=true")
                && facts.contains("can_multi_conn=true") && facts.contains("can_trim=true"), facts);
        String map = map(p.ours());
        assertEquals(map(p.theirs()), map);
        assertEquals(List.of("0 65536 0 data", "65536 65536 1 hole", "131072 917504 3 hole,zero"),
                map.lines().map(l -> l.strip().replaceAll("\\s+", " ")).toList());
        for (Server s : p.both()) {
            DataIntegrityIT.qemuIo(s.uri(), "write -P 0x55 4096 8192", "write -P 0x66 -f 100000 3000",
                    "write -z 4096 512", "discard 65536 65536", "read -P 0x55 4608 7680",
                    "read -P 0 65536 65536", "flush").ok();
        }
        Path a = tmp.resolve("a.img"), b = tmp.resolve("b.img");
        Cmd.of("nbdcopy", p.ours().uri(), a.toString()).ok();
        Cmd.of("nbdcopy", p.theirs().uri(), b.toString()).ok();
        assertFilesEqual(a, b);
        Cmd.of("qemu-img", "compare", "-f", "raw", "-F", "raw", a.toString(), p.ours().uri()).ok();
    }

    /** The method calls a session makes, with their flag words (fua, may_trim, req_one, fast). */
    @Test
    void scriptSeesTheSameCallsAsUnderNbdkit() throws IOException {
        Path ourLog = tmp.resolve("ours.log"), theirLog = tmp.resolve("theirs.log");
        Server ours = Server.unix(sock("o"), "sh", disk(), "1M", "fua=native", "cache=native", "log=" + ourLog);
        Server theirs = Server.startAndWait(nbdkitArgv(sock("t"), "sh", disk(), "1M", "fua=native",
                "cache=native", "log=" + theirLog), sock("t"), 0);
        String session = """
                import sys, nbd
                h = nbd.NBD()
                h.add_meta_context("base:allocation")
                h.connect_uri(sys.argv[1])
                h.pwrite(b"x" * 4096, 0, nbd.CMD_FLAG_FUA)
                h.pwrite(b"y" * 512, 8192)
                assert h.pread(512, 0) == b"x" * 512
                h.zero(4096, 16384, nbd.CMD_FLAG_FUA)
                h.zero(4096, 16384, nbd.CMD_FLAG_NO_HOLE)
                h.trim(4096, 32768, nbd.CMD_FLAG_FUA)
                h.flush()
                h.cache(4096, 0)
                h.block_status(65536, 0, lambda *a: 0, nbd.CMD_FLAG_REQ_ONE)
                h.block_status(65536, 4096, lambda *a: 0)
                h.shutdown()
                """;
        python(session, ours.uri()).ok();
        python(session, theirs.uri()).ok();
        ours.stop();
        theirs.stop();
        List<String> ourCalls = dataCalls(ourLog), theirCalls = dataCalls(theirLog);
        assertEquals(theirCalls, ourCalls);
        assertTrue(ourCalls.contains("pwrite 4096 0 fua") && ourCalls.contains("zero 4096 16384 fua,may_trim")
                && ourCalls.contains("zero 4096 16384 ") && ourCalls.contains("trim 4096 32768 fua")
                && ourCalls.contains("extents 65536 0 req_one") && ourCalls.contains("extents 65536 4096 ")
                && ourCalls.contains("cache 4096 0") && ourCalls.contains("flush"), ourCalls.toString());
        // Which methods a connection asks at open (the order is the server's business).
        // export_description is left out: nbdkit asks it only when the client asks for
        // NBD_INFO_DESCRIPTION, jnbdkit's backend asks it at every open.
        assertEquals(openCalls(theirLog), openCalls(ourLog));
    }

    /** The data methods, in order, with the handle (a random $tmpdir path) taken out. */
    private static List<String> dataCalls(Path log) throws IOException {
        return Files.readAllLines(log).stream()
                .map(l -> l.replaceAll(" /tmp/nbdkit[A-Za-z0-9]{6}/handle-[A-Za-z0-9]{6}", ""))
                .filter(l -> l.matches("(pread|pwrite|zero|trim|flush|extents|cache)( .*)?"))
                .toList();
    }

    private static List<String> openCalls(Path log) throws IOException {
        return Files.readAllLines(log).stream().map(l -> l.split(" ")[0])
                .filter(m -> m.startsWith("can_") || m.equals("is_rotational") || m.equals("get_size")
                        || m.equals("block_size") || m.equals("open"))
                .distinct().sorted().toList();
    }

    /** -r, the export name and TLS reach preconnect, open and list_exports as nbdkit passes them. */
    @Test
    void readonlyExportNameAndTlsArguments() throws IOException {
        Path ourLog = tmp.resolve("ours.log"), theirLog = tmp.resolve("theirs.log");
        Server ours = Server.unix(sock("o"), "-r", "sh", disk(), "1M", "log=" + ourLog);
        Server theirs = Server.startAndWait(nbdkitArgv(sock("t"), "-r", "sh", disk(), "1M", "log=" + theirLog),
                sock("t"), 0);
        for (Server s : List.of(ours, theirs)) {
            Json j = nbdinfoJson(s.uri("some%20export"));
            assertTrue(j.get("exports").at(0).get("is_read_only").asBool(), j.toString());
            Cmd.of("nbdinfo", "--list", s.uri()).ok();
        }
        ours.stop();
        theirs.stop();
        List<String> ourCalls = argumentCalls(ourLog);
        assertEquals(argumentCalls(theirLog), ourCalls);
        assertTrue(ourCalls.contains("open true some export false"), ourCalls.toString());
    }

    private static List<String> argumentCalls(Path log) throws IOException {
        return Files.readAllLines(log).stream()
                .filter(l -> l.startsWith("open ") || l.startsWith("preconnect ") || l.startsWith("list_exports ")
                        || l.startsWith("default_export "))
                .distinct().sorted().toList();
    }

    /** Each can_* answer (true, false, missing, and the none/emulate/native words). */
    @ParameterizedTest
    @ValueSource(strings = {
            "fua=none cache=none multi_conn=0 rotational=1 fast_zero=1",
            "fua=emulate cache=emulate multi_conn=1 rotational=0 fast_zero=0",
            "fua=native cache=native",
            "readonly=1",
            "block_size=512 4096 1M",
    })
    void canAnswersMatchNbdkit(String params) {
        List<String> args = new java.util.ArrayList<>(List.of("sh", disk(), "1M"));
        if (params.startsWith("block_size=")) args.add(params);
        else args.addAll(List.of(params.split(" ")));
        String facts = sameFacts(pair(args.toArray(String[]::new)));
        if (params.startsWith("readonly")) assertTrue(facts.contains("is_read_only=true"), facts);
        if (params.startsWith("block_size")) assertTrue(facts.contains("block_size_preferred=4096"), facts);
    }

    /** The errno name first on stderr picks the client's error; the rest of the line is logged. */
    @Test
    void errorsFromStderrMatchNbdkit() {
        String client = """
                import sys, errno, nbd
                h = nbd.NBD()
                h.connect_uri(sys.argv[1])
                for off in range(0, 9 * 512, 512):
                    try:
                        h.pread(512, off)
                        print(off, "ok")
                    except nbd.Error as e:
                        print(off, errno.errorcode.get(e.errno, e.errno))
                """;
        String pread = """
                case $4 in
                  0) echo 'ENOSPC Out of space' >&2; exit 1 ;;
                  512) echo EPERM >&2; exit 1 ;;
                  1024) echo 'einval lower case  works too' >&2; exit 1 ;;
                  1536) echo 'EINVALID is not EINVAL' >&2; exit 1 ;;
                  2048) exit 1 ;;
                  2560) printf 'ENOMEM first line\\nsecond line\\n' >&2; exit 1 ;;
                  3072) echo 'ESHUTDOWN going away' >&2; exit 1 ;;
                  3584) echo 'EIO status 99' >&2; exit 99 ;;
                  *) dd if=/dev/zero count=$3 iflag=count_bytes status=none ;;
                esac""";
        Pair p = pair("eval", "get_size=echo 1M", "pread=" + pread);
        String ours = python(client, p.ours().uri()).ok().out();
        assertEquals(python(client, p.theirs().uri()).ok().out(), ours);
        assertEquals("""
                0 ENOSPC
                512 EPERM
                1024 EINVAL
                1536 EIO
                2048 EIO
                2560 ENOMEM
                3072 ESHUTDOWN
                3584 EIO
                4096 ok
                """, ours);
        p.ours().stop();
        p.theirs().stop();
        List<String> ourErrors = errors(p.ours().stderr());
        assertEquals(errors(p.theirs().stderr()), ourErrors);
        assertTrue(ourErrors.contains("nbdkit: eval: error: $tmpdir/pread: Out of space"), ourErrors.toString());
        assertTrue(ourErrors.contains("nbdkit: eval: error: $tmpdir/pread: EINVALID is not EINVAL"), ourErrors.toString());
        assertTrue(ourErrors.contains("nbdkit: eval: error: $tmpdir/pread: script exited with error, "
                + "but did not print an error message on stderr"), ourErrors.toString());
        assertTrue(ourErrors.contains("nbdkit: eval: error: $tmpdir/pread: first line"), ourErrors.toString());
    }

    /** Malformed answers: a short read, an unparsable size or extent, a false where none is asked. */
    @Test
    void badOutputMatchesNbdkit() {
        String client = """
                import sys, errno, nbd
                h = nbd.NBD()
                h.add_meta_context("base:allocation")
                h.connect_uri(sys.argv[1])
                for name, f in [("pread", lambda: h.pread(512, 0)),
                                ("flush", lambda: h.flush()),
                                ("extents", lambda: h.block_status(4096, 0, lambda *a: 0))]:
                    try:
                        f()
                        print(name, "ok")
                    except nbd.Error as e:
                        print(name, errno.errorcode.get(e.errno, e.errno))
                """;
        Pair p = pair("eval", "get_size=echo 1M", "pread=echo short", "can_flush=exit 0", "flush=exit 3",
                "extents=echo 0 1x", "pwrite=cat >/dev/null");
        String ours = python(client, p.ours().uri()).ok().out();
        assertEquals(python(client, p.theirs().uri()).ok().out(), ours);
        assertEquals("pread EIO\nflush EIO\nextents EIO\n", ours);
        p.ours().stop();
        p.theirs().stop();
        assertEquals(errors(p.theirs().stderr()), errors(p.ours().stderr()));
        Pair q = pair("eval", "get_size=echo 1Mx", "pread=exit 0");
        for (Server s : q.both()) Cmd.of("nbdinfo", s.uri()).fails();
        q.ours().stop();
        q.theirs().stop();
        List<String> ourErrors = errors(q.ours().stderr());
        assertEquals(errors(q.theirs().stderr()), ourErrors);
        assertTrue(ourErrors.contains("nbdkit: eval: error: $tmpdir/get_size: could not parse output from "
                + "get_size method: 1Mx"), ourErrors.toString());
    }

    /** Start-up failures: nbdkit's message and exit status 1. */
    @Test
    void startupErrorsMatchNbdkit() throws IOException {
        Path missing = tmp.resolve("missing.sh");
        Files.writeString(missing, "#!/bin/sh\nexit 2\n");
        missing.toFile().setExecutable(true);
        Path notExecutable = tmp.resolve("plain.sh");
        Files.writeString(notExecutable, "#!/bin/sh\nexit 0\n");
        Path failingLoad = tmp.resolve("load.sh");
        Files.writeString(failingLoad, "#!/bin/sh\ncase $1 in load) echo 'EINVAL cannot load' >&2; exit 1;; esac\nexit 2\n");
        failingLoad.toFile().setExecutable(true);
        List<List<String>> cases = List.of(
                List.of("sh"),
                List.of("sh", "a=b"),
                List.of("sh", tmp.resolve("nonexistent.sh").toString()),
                List.of("sh", notExecutable.toString()),
                List.of("sh", failingLoad.toString()),
                List.of("sh", missing.toString(), "key=value"),
                List.of("sh", missing.toString(), "bare"),
                List.of("sh", disk()),
                List.of("eval", "foo=bar"));
        for (List<String> c : cases) {
            Differential.assertSameRefusal(Map.of(), ScriptPluginItBase::maskTmpdir, c);
        }
    }

    /** The script's own magic key takes bare values; config sees them under that key. */
    @Test
    void magicConfigKeyAndConfig() {
        Pair p = pair("sh", disk(), "2M", "fua=none");
        assertEquals(2L << 20, nbdinfoJson(p.ours().uri()).get("exports").at(0).get("export-size").asLong());
        sameFacts(p);
    }

    /** {@code sh -}: the script from stdin; refused with -s (stdin is the client). */
    @Test
    void inlineScript() throws IOException {
        String script = "case \"$1\" in get_size) echo 3M ;; pread) dd if=/dev/zero count=$3 iflag=count_bytes status=none ;; *) exit 2 ;; esac\n";
        for (String server : Differential.servers()) {
            Cmd.Result r = Cmd.of(server, "-U", "-", "sh", "-", "--run", "nbdinfo --size \"$uri\"")
                    .stdin(script).run().ok();
            assertEquals("3145728", r.out().strip(), server);
            Cmd.Result s = Cmd.of(server, "-s", "sh", "-").stdin(script).run();
            assertEquals(1, s.exit(), s.toString());
            assertTrue(s.err().contains("inline script is incompatible with -s"), s.toString());
        }
    }

    /** With -s, a script printing on stdout in every method cannot corrupt the connection. */
    @Test
    void singleModeKeepsScriptOutputOffTheConnection() throws IOException {
        Path noisy = tmp.resolve("noisy.sh");
        Files.writeString(noisy, """
                #!/bin/sh
                case "$1" in
                  get_size) echo 1M; exit 0 ;;
                  pread) dd if=/dev/zero count=$3 iflag=count_bytes status=none; exit 0 ;;
                esac
                echo "NBDMAGIC garbage from $1"
                echo "more garbage from $1" >&2
                exit 2
                """);
        noisy.toFile().setExecutable(true);
        String client = """
                import sys, nbd
                h = nbd.NBD()
                h.connect_command(sys.argv[1:])
                assert h.get_size() == 1 << 20
                assert h.pread(4096, 8192) == bytes(4096)
                h.shutdown()
                print("ok")
                """;
        Cmd.Result r = python(client, Server.program(), "-s", "sh", noisy.toString()).ok();
        assertEquals("ok\n", r.out());
    }

    /** The script gets $tmpdir (a private directory), removed when the server exits. */
    @Test
    void tmpdirExistsWhileServingAndGoesAtExit() throws IOException {
        Path marker = tmp.resolve("tmpdir-name");
        Server s = unix("eval", "get_size=test -d \"$tmpdir\" && echo \"$tmpdir\" > " + marker + " && echo 1M",
                "pread=dd if=/dev/zero count=$3 iflag=count_bytes status=none");
        Cmd.of("nbdinfo", "--size", s.uri()).ok();
        Path dir = Path.of(Files.readString(marker).strip());
        assertTrue(Files.isDirectory(dir), dir.toString());
        assertTrue(dir.getFileName().toString().matches("nbdkit[A-Za-z0-9]{6}"), dir.toString());
        s.stop();
        assertFalse(Files.exists(dir), dir + " still exists after exit");
    }

    /** --dump-plugin: nbdkit's keys, max_known_status=8 (nbdkit 1.34), the script's own lines. */
    @Test
    void dumpPlugin() {
        String ours = runServer("--dump-plugin", "sh", disk(), "1M", "threads=serialize_requests").ok().out();
        assertTrue(ours.contains("\nname=sh\n") && ours.contains("\nmagic_config_key=script\n")
                && ours.contains("\nthread_model=serialize_requests\n") && ours.contains("\nmax_known_status=8\n")
                && ours.contains("\ndisk_sh=yes\n") && ours.contains("\nhas_pwrite=1\n"), ours);
        String theirs = Server.command(Server.Impl.NBDKIT, "--dump-plugin", "sh", disk(), "1M", "threads=serialize_requests").ok().out();
        // nbdkit 1.32 has max_known_status=3 (no statuses 4-8 yet); the other lines agree.
        assertEquals(keys(theirs), keys(ours));
        assertTrue(runServer("--dump-plugin", "sh").ok().out().contains("\nthread_model=parallel\n"));
    }

    private static List<String> keys(String dump) {
        return dump.lines().filter(l -> !l.startsWith("path=") && !l.startsWith("version=")
                && !l.startsWith("max_known_status=")).sorted().toList();
    }

    /** list_exports in each output format, and default_export naming the default. */
    @ParameterizedTest
    @ValueSource(strings = {"NAMES", "INTERLEAVED", "NAMES+DESCRIPTIONS", "bare"})
    void listExportsFormatsMatchNbdkit(String format) {
        Pair p = pair("sh", script("exports.sh").toString(), "format=" + format);
        String ours = exportList(p.ours());
        assertEquals(exportList(p.theirs()), ours);
        String expected = switch (format) {
            case "NAMES" -> "alpha=1048576\nbeta=2097152\ngamma=3145728\n";
            case "INTERLEAVED" -> "alpha=1048576 the first\nbeta=2097152 the second\ngamma=3145728\n";
            case "NAMES+DESCRIPTIONS" -> "alpha=1048576 first\nbeta=2097152 second\n";
            default -> "alpha=1048576\nbeta=2097152\n";
        };
        assertEquals(expected, ours);
    }

    /** Names, sizes and (listed) descriptions from nbdinfo --list --json. */
    private static String exportList(Server s) {
        StringBuilder sb = new StringBuilder();
        for (Json e : nbdinfoJson("--list", s.uri()).get("exports").items()) {
            sb.append(e.get("export-name").asString()).append('=').append(e.get("export-size").asLong());
            // nbdinfo --list shows the listed description when the export has none of its own
            if (e.has("description") && !e.get("description").asString().startsWith("export ")) {
                sb.append(' ').append(e.get("description").asString());
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    @Test
    void defaultExportMatchesNbdkit() {
        Pair p = pair("sh", script("exports.sh").toString(), "default=beta");
        String ours = facts(p.ours());
        assertEquals(facts(p.theirs()), ours);
        assertTrue(ours.contains("export-size=2097152"), ours);
        // Without list_exports the list is the default export alone.
        String list = exportList(p.ours());
        assertEquals(exportList(p.theirs()), list);
        assertEquals("beta=2097152\n", list);
    }

    /**
     * A script that never returns blocks only its own request: other clients are served (parallel
     * model), and SIGTERM still ends the server with status 0 and no process left behind.
     */
    @Test
    void hangingScriptDoesNotStopTheServer() {
        Server s = unix("eval", "thread_model=echo parallel", "get_size=echo 1M",
                "pread=if [ $4 = 0 ]; then sleep 3600; fi; dd if=/dev/zero count=$3 iflag=count_bytes status=none");
        String stuck = """
                import sys, nbd
                h = nbd.NBD()
                h.connect_uri(sys.argv[1])
                cookie = h.aio_pread(nbd.Buffer(512), 0)
                print("sent", flush=True)
                try:
                    for _ in range(600):
                        h.poll(100)
                        if h.aio_command_completed(cookie):
                            print("completed")
                            break
                except nbd.Error as e:
                    print("dropped")
                """;
        Clients.requirePythonNbd();
        var bg = java.util.concurrent.CompletableFuture.supplyAsync(() -> Cmd.of(Clients.PYTHON, "-c", stuck,
                s.uri()).timeout(Duration.ofMinutes(2)).run());
        Server.sleep(1500);
        Cmd.of("nbdsh", "-u", s.uri(), "-c", "assert h.pread(512, 4096) == bytes(512)").ok();
        assertEquals(0, s.stop());
        Cmd.Result client = bg.join();
        assertTrue(client.out().startsWith("sent\n") && !client.out().contains("completed"), client.toString());
    }

    /**
     * nbdkit 1.34's statuses 4-8: shut the server down (4 ok, 5 error), drop the client at once
     * (6), or after the reply (7 ok, 8 error: later requests get ESHUTDOWN). nbdkit 1.32 treats
     * them all as errors, so only the server under test is checked.
     */
    @ParameterizedTest
    @ValueSource(ints = {4, 5, 6, 7, 8})
    void shutdownAndDisconnectStatuses(int status) {
        Server s = unix("eval", "get_size=echo 1M",
                "pread=dd if=/dev/zero count=$3 iflag=count_bytes status=none; if [ $4 = 0 ]; then exit " + status + "; fi");
        String client = """
                import sys, errno, nbd
                h = nbd.NBD()
                h.connect_uri(sys.argv[1])
                for off in (0, 512):
                    try:
                        h.pread(512, off)
                        print(off, "ok")
                    except nbd.Error as e:
                        print(off, errno.errorcode.get(e.errno, e.errno))
                """;
        String out = python(client, s.uri()).out();
        switch (status) {
            case 4, 5 -> {
                assertTrue(out.startsWith(status == 4 ? "0 ok" : "0 ESHUTDOWN"), out);
                assertEquals(0, s.awaitExit(Duration.ofMinutes(1)), "the server shuts itself down");
            }
            case 6 -> assertFalse(out.contains("0 ok"), out);
            case 7 -> assertEquals("0 ok\n512 ESHUTDOWN\n", out);
            case 8 -> assertEquals("0 ESHUTDOWN\n512 ESHUTDOWN\n", out);
            default -> throw new AssertionError(status);
        }
    }
}
