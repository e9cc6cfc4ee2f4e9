package dev.jnbdkit.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The eval plugin (nbdkit-eval-plugin(1)): the page's examples, the can_* answers that follow
 * from which methods are given, {@code missing=}, config of unknown keys, {@code $0}, unload;
 * each compared with Debian's nbdkit running the same command line.
 */
class EvalPluginIT extends ScriptPluginItBase {
    static final String ZEROS = "pread=dd if=/dev/zero count=$3 iflag=count_bytes status=none";

    /** "Create a 64M read-only disk of zeroes", from the page. */
    @Test
    void zeroDiskExample() throws IOException {
        Pair p = pair("eval", "get_size= echo 64M ", "pread= dd if=/dev/zero count=$3 iflag=count_bytes ");
        String facts = sameFacts(p);
        assertTrue(facts.contains("export-size=67108864") && facts.contains("is_read_only=true"), facts);
        Path a = tmp.resolve("a.img"), b = tmp.resolve("b.img");
        Cmd.of("nbdcopy", p.ours().uri(), a.toString()).ok();
        Cmd.of("nbdcopy", p.theirs().uri(), b.toString()).ok();
        assertFilesEqual(a, b);
        assertEquals(64L << 20, Files.size(a));
        Cmd.of("cmp", a.toString(), "/dev/zero", "-n", Long.toString(64L << 20)).ok();
    }

    /** The page's file plugin equivalent: config, $tmpdir, pread and pwrite with dd. */
    @Test
    void filePluginExample() throws IOException {
        Path ours = randomFile("ours.img", 4 << 20, 7), theirs = randomFile("theirs.img", 4 << 20, 7);
        String[] common = {
                "config=ln -sf \"$(realpath \"$3\")\" $tmpdir/file",
                "get_size=stat -Lc %s $tmpdir/file",
                "pread=dd if=$tmpdir/file skip=$4 count=$3 iflag=count_bytes,skip_bytes",
                "pwrite=dd of=$tmpdir/file seek=$4 conv=notrunc oflag=seek_bytes"};
        List<String> a = new ArrayList<>(List.of("eval"));
        a.addAll(List.of(common));
        a.add("file=" + ours);
        Server o = Server.unix(sock("o"), a.toArray(String[]::new));
        a.set(a.size() - 1, "file=" + theirs);
        Server t = Server.startAndWait(nbdkitArgv(sock("t"), a.toArray(String[]::new)), sock("t"), 0);
        assertEquals(facts(t), facts(o));
        for (Server s : List.of(o, t)) {
            DataIntegrityIT.qemuIo(s.uri(), "write -P 0x33 0 64k", "write -P 0x44 1000000 77777",
                    "write -z 2M 8192", "read -P 0x33 0 64k", "read -P 0 2M 8192").ok();
        }
        o.stop();
        t.stop();
        assertFilesEqual(ours, theirs);
    }

    /** A missing can_* method answers whether its data method was given. */
    @ParameterizedTest
    @ValueSource(strings = {
            "",
            "pwrite=cat >/dev/null",
            "pwrite=cat >/dev/null|flush=:",
            "pwrite=cat >/dev/null|trim=:|zero=:",
            "pwrite=cat >/dev/null|flush=:|can_fua=echo native|can_multi_conn=exit 0",
            "cache=:|is_rotational=exit 0",
            "pwrite=cat >/dev/null|can_write=exit 3",
            "pwrite=cat >/dev/null|zero=:|can_fast_zero=exit 3",
    })
    void canDefaultsMatchNbdkit(String methods) {
        List<String> args = new ArrayList<>(List.of("eval", "get_size=echo 1M", ZEROS));
        if (!methods.isEmpty()) args.addAll(List.of(methods.split("\\|")));
        String facts = sameFacts(pair(args.toArray(String[]::new)));
        if (methods.startsWith("pwrite=cat >/dev/null|flush")) assertTrue(facts.contains("can_fua=true"), facts);
        if (methods.isEmpty()) assertTrue(facts.contains("is_read_only=true"), facts);
    }

    /**
     * A zero that answers ENOTSUP (or is missing) makes the server write zeros through pwrite; a
     * fast zero is then refused at once.
     */
    @Test
    void zeroFallsBackToPwrite() throws IOException {
        String client = """
                import sys, errno, nbd
                h = nbd.NBD()
                h.connect_uri(sys.argv[1])
                h.zero(8192, 4096)
                try:
                    h.zero(4096, 0, nbd.CMD_FLAG_FAST_ZERO)
                    print("fast ok")
                except nbd.Error as e:
                    print("fast", errno.errorcode.get(e.errno, e.errno))
                """;
        Path ourLog = tmp.resolve("ours.log"), theirLog = tmp.resolve("theirs.log");
        List<String> outs = new ArrayList<>();
        for (Path log : List.of(ourLog, theirLog)) {
            String[] args = {"eval", "get_size=echo 1M", ZEROS,
                    "pwrite=echo \"$1 $3 $4 $5\" >> " + log + "; cat >/dev/null",
                    "zero=echo \"$1 $3 $4 $5\" >> " + log + "; echo 'ENOTSUP not here' >&2; exit 1"};
            Server srv = log == ourLog ? Server.unix(sock("o"), args)
                    : Server.startAndWait(nbdkitArgv(sock("t"), args), sock("t"), 0);
            outs.add(python(client, srv.uri()).ok().out());
            srv.stop();
        }
        assertEquals(outs.get(1), outs.get(0));
        assertEquals(Files.readAllLines(theirLog), Files.readAllLines(ourLog));
        assertTrue(Files.readAllLines(ourLog).contains("pwrite 8192 4096 "), Files.readAllLines(ourLog).toString());
    }

    /** extents= alone makes block status come from the script. */
    @Test
    void extentsWithoutCanExtents() {
        Pair p = pair("eval", "get_size=echo 1M", ZEROS, "extents=echo 0 512K; echo 512K 512K hole,zero");
        String map = map(p.ours());
        assertEquals(map(p.theirs()), map);
        assertTrue(map.contains("524288      524288    3  hole,zero"), map);
    }

    /** missing= replaces "exit 2" for every method not given; a bad answer fails as in nbdkit. */
    @Test
    void missingOverride() throws IOException {
        Path ourLog = tmp.resolve("ours.log"), theirLog = tmp.resolve("theirs.log");
        Server o = Server.unix(sock("o"), "eval", "get_size=echo 1M", ZEROS,
                "missing=echo \"$1\" >> " + ourLog + "; exit 2");
        Server t = Server.startAndWait(nbdkitArgv(sock("t"), "eval", "get_size=echo 1M", ZEROS,
                "missing=echo \"$1\" >> " + theirLog + "; exit 2"), sock("t"), 0);
        assertEquals(facts(t), facts(o));
        o.stop();
        t.stop();
        // The same methods fall through to missing (the order of the can_* questions may differ).
        assertEquals(calledMethods(theirLog), calledMethods(ourLog));
        Pair bad = pair("eval", "get_size=echo 1M", ZEROS, "missing=exit 0");
        for (Server s : bad.both()) Cmd.of("nbdinfo", s.uri()).fails();
        bad.ours().stop();
        bad.theirs().stop();
        assertEquals(errors(bad.theirs().stderr()), errors(bad.ours().stderr()));
    }

    private static List<String> calledMethods(Path log) throws IOException {
        return Files.readAllLines(log).stream().distinct().sorted().toList();
    }

    /** Keys that are not methods go to config; $0 is the method's own script. */
    @Test
    void configAndScriptName() {
        Pair p = pair("eval", "config=echo \"$2=$3\" >> $tmpdir/params",
                "get_size=test \"$(basename \"$0\")\" = get_size && sed -n 's/^size=//p' $tmpdir/params",
                ZEROS, "size=3M");
        assertEquals(3L << 20, nbdinfoJson(p.ours().uri()).get("exports").at(0).get("export-size").asLong());
        sameFacts(p);
    }

    /** Start-up failures of eval: nbdkit's messages. */
    @Test
    void startupErrorsMatchNbdkit() {
        List<List<String>> cases = List.of(
                List.of("eval", "foo=bar"),
                List.of("eval", "bare"),
                List.of("eval", "config=exit 2", "foo=bar"),
                List.of("eval", "config=echo 'EINVAL bad key' >&2; exit 1", "foo=bar"),
                List.of("eval", "config_complete=echo 'missing size=' >&2; exit 1"),
                List.of("eval", "get_ready=exit 3"),
                List.of("eval", "thread_model=exit 1"));
        for (List<String> c : cases) {
            Differential.assertSameRefusal(Map.of(), ScriptPluginItBase::maskTmpdir, c);
        }
    }

    /** unload runs when the server exits. */
    @Test
    void unloadRunsAtExit() {
        Path marker = tmp.resolve("unloaded");
        Server s = unix("eval", "get_size=echo 1M", ZEROS, "unload=touch " + marker);
        Cmd.of("nbdinfo", "--size", s.uri()).ok();
        assertTrue(!Files.exists(marker));
        s.stop();
        assertTrue(Files.exists(marker), "unload did not run");
    }

    /** --dump-plugin: max_known_status=8 (1.34) and the dump_plugin snippet's lines. */
    @Test
    void dumpPlugin() {
        String ours = runServer("--dump-plugin", "eval", "dump_plugin=echo eval_dump=yes",
                "thread_model=echo serialize_connections").ok().out();
        assertTrue(ours.contains("\nname=eval\n") && ours.contains("\nmax_known_status=8\n")
                && ours.contains("\neval_dump=yes\n") && ours.contains("\nthread_model=serialize_connections\n"), ours);
        String theirs = Server.command(Server.Impl.NBDKIT, "--dump-plugin", "eval", "dump_plugin=echo eval_dump=yes",
                "thread_model=echo serialize_connections").ok().out();
        assertEquals(keys(theirs), keys(ours));
        String plain = runServer("--dump-plugin", "eval").ok().out();
        assertTrue(plain.contains("\nthread_model=serialize_all_requests\n"), plain);
    }

    private static List<String> keys(String dump) {
        return dump.lines().filter(l -> !l.startsWith("path=") && !l.startsWith("version=")
                && !l.startsWith("max_known_status=")).sorted().toList();
    }
}
