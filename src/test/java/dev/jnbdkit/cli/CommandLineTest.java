package dev.jnbdkit.cli;

import dev.jnbdkit.log.Log;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.List;
import java.util.function.Predicate;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

class CommandLineTest {

    static Options parse(String... args) throws UsageException {
        return CommandLine.parse(args, false, false);
    }

    static UsageException error(String... args) {
        return assertThrows(UsageException.class, () -> CommandLine.parse(args, false, false),
                () -> "expected an error for " + List.of(args));
    }

    static String line(String message) { return Log.program() + ": " + message; }

    static void assertGetoptError(String message, String... args) {
        UsageException e = error(args);
        assertEquals(line(message), e.getMessage());
        assertTrue(e.showUsage(), "getopt errors print the usage");
        assertEquals(1, e.exitStatus());
    }

    static void assertPlainError(String message, String... args) {
        UsageException e = error(args);
        assertEquals(message, e.getMessage());
        assertFalse(e.showUsage(), "value errors print no usage");
        assertEquals(1, e.exitStatus());
    }

    @Test
    void defaults() throws Exception {
        Options o = parse("memory", "1G");
        assertEquals("memory", o.plugin());
        assertEquals(List.of("1G"), o.pluginArgs());
        assertNull(o.listen().port());
        assertNull(o.listen().ipaddr());
        assertNull(o.listen().unixSocket());
        assertNull(o.execution().pidFile());
        assertNull(o.exportName());
        assertNull(o.execution().run());
        assertNull(o.execution().log());
        assertNull(o.execution().user());
        assertNull(o.execution().group());
        assertNull(o.python());
        assertNull(o.tls().mode());
        assertEquals(0, o.threads());
        assertEquals(16, o.effectiveThreads());
        assertEquals(-1, o.protocol().maskHandshake());
        assertEquals(List.of(), o.execution().debugFlags());
        assertEquals(List.of(), o.filters());
        assertFalse(o.listen().ipv4Only() || o.listen().ipv6Only() || o.listen().single() || o.execution().foreground() || o.readonly()
                || o.execution().verbose() || o.execution().exitWithParent() || o.info().dumpPlugin() || o.info().dumpConfig() || o.info().version()
                || o.info().help() || o.protocol().noSr() || o.protocol().oldstyle() || o.execution().swap() || o.tls().verifyPeer() || o.listen().vsock()
                || o.info().longOptions() || o.info().shortOptions());
    }

    static Stream<Arguments> aliases() {
        return Stream.of(
                a(o -> o.listen().ipv4Only(), "-4"), a(o -> o.listen().ipv4Only(), "--ipv4-only"),
                a(o -> o.listen().ipv6Only(), "-6"), a(o -> o.listen().ipv6Only(), "--ipv6-only"),
                a(o -> o.execution().debugFlags().equals(List.of("file.zero=1")), "-D", "file.zero=1"),
                a(o -> o.execution().debugFlags().equals(List.of("file.zero=1")), "-Dfile.zero=1"),
                a(o -> o.execution().debugFlags().equals(List.of("file.zero=1")), "--debug", "file.zero=1"),
                a(o -> o.execution().debugFlags().equals(List.of("file.zero=1")), "--debug=file.zero=1"),
                a(o -> o.info().dumpPlugin(), "--dump-plugin"),
                a(o -> o.execution().exitWithParent() && o.execution().foreground(), "--exit-with-parent"),
                a(o -> "foo".equals(o.exportName()), "-e", "foo"),
                a(o -> "foo".equals(o.exportName()), "-efoo"),
                a(o -> "foo".equals(o.exportName()), "--export=foo"),
                a(o -> "foo".equals(o.exportName()), "--export", "foo"),
                a(o -> "foo".equals(o.exportName()), "--export-name=foo"),
                a(o -> "foo".equals(o.exportName()), "--export-name", "foo"),
                a(o -> "foo".equals(o.exportName()), "--exportname=foo"),
                a(o -> "foo".equals(o.exportName()), "--exportname", "foo"),
                a(o -> "".equals(o.exportName()), "--exportname="),
                a(o -> o.execution().foreground(), "-f"), a(o -> o.execution().foreground(), "--foreground"),
                a(o -> o.execution().foreground(), "--no-fork"),
                a(o -> "disk".equals(o.execution().group()), "-g", "disk"), a(o -> "disk".equals(o.execution().group()), "--group=disk"),
                a(o -> "disk".equals(o.execution().group()), "--group", "disk"),
                a(o -> o.info().help(), "--help"),
                a(o -> "::1".equals(o.listen().ipaddr()), "-i", "::1"), a(o -> "::1".equals(o.listen().ipaddr()), "--ip-addr=::1"),
                a(o -> "::1".equals(o.listen().ipaddr()), "--ipaddr", "::1"),
                a(o -> "stderr".equals(o.execution().log()), "--log=stderr"), a(o -> "syslog".equals(o.execution().log()), "--log", "syslog"),
                a(o -> "null".equals(o.execution().log()), "--log=null"),
                a(o -> o.protocol().maskHandshake() == 3, "--mask-handshake=3"),
                a(o -> o.protocol().maskHandshake() == 0, "--mask-handshake", "0"),
                a(o -> !o.protocol().oldstyle(), "-o", "-n"), a(o -> !o.protocol().oldstyle(), "-o", "--new-style"),
                a(o -> !o.protocol().oldstyle(), "-o", "--newstyle"),
                a(o -> o.protocol().noSr(), "--no-sr"),
                a(o -> o.protocol().oldstyle(), "-o"), a(o -> o.protocol().oldstyle(), "--old-style"), a(o -> o.protocol().oldstyle(), "--oldstyle"),
                a(o -> "/run/x.pid".equals(o.execution().pidFile()), "-P", "/run/x.pid"),
                a(o -> "/run/x.pid".equals(o.execution().pidFile()), "--pid-file=/run/x.pid"),
                a(o -> "/run/x.pid".equals(o.execution().pidFile()), "--pidfile", "/run/x.pid"),
                a(o -> "10810".equals(o.listen().port()), "-p", "10810"), a(o -> "10810".equals(o.listen().port()), "-p10810"),
                a(o -> "10810".equals(o.listen().port()), "--port=10810"), a(o -> "10810".equals(o.listen().port()), "--port", "10810"),
                a(o -> o.readonly(), "-r"), a(o -> o.readonly(), "--read-only"), a(o -> o.readonly(), "--readonly"),
                a(o -> "nbdinfo $uri".equals(o.execution().run()) && o.execution().foreground(), "--run", "nbdinfo $uri"),
                a(o -> "nbdinfo $uri".equals(o.execution().run()), "--run=nbdinfo $uri"),
                a(o -> o.listen().single(), "-s"), a(o -> o.listen().single(), "--single"), a(o -> o.listen().single(), "--stdin"),
                a(o -> o.execution().swap(), "--swap"),
                a(o -> o.threads() == 4, "-t", "4"), a(o -> o.threads() == 4, "-t4"),
                a(o -> o.threads() == 4, "--threads=4"), a(o -> o.threads() == 4, "--threads", "4"),
                a(o -> "off".equals(o.tls().mode()), "--tls=off"), a(o -> "off".equals(o.tls().mode()), "--tls", "off"),
                a(o -> "/certs".equals(o.tls().certificates()), "--tls-certificates=/certs"),
                a(o -> "/certs".equals(o.tls().certificates()), "--tls-certificates", "/certs"),
                a(o -> "/k.psk".equals(o.tls().psk()), "--tls-psk=/k.psk"),
                a(o -> "/k.psk".equals(o.tls().psk()), "--tls-psk", "/k.psk"),
                a(o -> o.tls().verifyPeer(), "--tls-verify-peer"),
                a(o -> "/tmp/sock".equals(o.listen().unixSocket()), "-U", "/tmp/sock"),
                a(o -> "/tmp/sock".equals(o.listen().unixSocket()), "-U/tmp/sock"),
                a(o -> "/tmp/sock".equals(o.listen().unixSocket()), "--unix=/tmp/sock"),
                a(o -> "-".equals(o.listen().unixSocket()), "--unix", "-"),
                a(o -> "-".equals(o.listen().unixSocket()), "-U", "-"),
                a(o -> "nobody".equals(o.execution().user()), "-u", "nobody"), a(o -> "nobody".equals(o.execution().user()), "--user=nobody"),
                a(o -> o.execution().verbose(), "-v"), a(o -> o.execution().verbose(), "--verbose"),
                a(o -> o.info().version(), "-V"), a(o -> o.info().version(), "--version"),
                a(o -> "/usr/bin/python3".equals(o.python()), "--python=/usr/bin/python3"),
                a(o -> "/usr/bin/python3".equals(o.python()), "--python", "/usr/bin/python3"),
                // nbdkit 1.44
                a(o -> o.listen().keepalive(), "--keepalive"), a(o -> o.listen().keepalive(), "--keep-alive"),
                a(o -> o.protocol().noMetaContexts(), "--no-mc"), a(o -> o.protocol().noMetaContexts(), "--no-meta-contexts"),
                a(o -> o.protocol().noSr(), "--no-structured-replies"),
                a(o -> o.execution().printUri(), "--print-uri"), a(o -> o.execution().printUri(), "--print-url"),
                a(o -> o.execution().printUri(), "--show-uri"),
                a(o -> o.protocol().timeoutNanos() == 2_000_000_000L, "--timeout=2"),
                a(o -> o.protocol().timeoutNanos() == 2_000_000L, "--time-out", "2ms"));
    }

    private static Arguments a(Predicate<Options> check, String... opts) {
        return Arguments.of(List.of(opts), check);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("aliases")
    void everyAliasSetsItsField(List<String> opts, Predicate<Options> check) throws Exception {
        String[] before = Stream.concat(opts.stream(), Stream.of("memory", "1G")).toArray(String[]::new);
        String[] after = Stream.concat(Stream.of("memory", "1G"), opts.stream()).toArray(String[]::new);
        Options o1 = parse(before);
        Options o2 = parse(after);
        assertTrue(check.test(o1), () -> "before the plugin: " + o1);
        assertEquals(o1, o2, "options after the plugin arguments mean the same");
        assertEquals("memory", o1.plugin());
        assertEquals(List.of("1G"), o1.pluginArgs());
    }

    @Test
    void everyTableOptionIsCoveredByTheAliasTest() {
        List<List<String>> used = aliases().map(x -> (List<String>) x.get()[0]).toList();
        for (String name : CommandLine.longOptionNames()) {
            String bare = name.substring(2);
            // the listing options stop parsing at once: tested in InformationalAndNoPlugin
            boolean hidden = bare.equals("long-options") || bare.equals("short-options") || bare.equals("dump-config");
            boolean unsupported = List.of("filter", "selinux-label", "vsock").contains(bare);
            if (hidden || unsupported) continue;
            assertTrue(used.stream().flatMap(List::stream).anyMatch(t -> t.equals(name) || t.startsWith(name + "=")),
                    () -> name + " has no alias test");
        }
    }

    @Nested
    class Getopt {
        @Test
        void permutationKeepsPluginArgumentsInOrder() throws Exception {
            Options o = parse("-r", "file", "-f", "disk.img", "--port=1", "cache=none", "-v");
            assertEquals("file", o.plugin());
            assertEquals(List.of("disk.img", "cache=none"), o.pluginArgs());
            assertTrue(o.readonly() && o.execution().foreground() && o.execution().verbose());
            assertEquals("1", o.listen().port());
        }

        @Test
        void bundledShortOptions() throws Exception {
            Options o = parse("-fvrp", "10810", "memory", "1G");
            assertTrue(o.execution().foreground() && o.execution().verbose() && o.readonly());
            assertEquals("10810", o.listen().port());
            assertEquals(o, parse("-fvrp10810", "memory", "1G"));
            assertEquals(o, parse("-f", "-v", "-r", "-p", "10810", "memory", "1G"));
        }

        @Test
        void anArgumentTakesTheRestOfTheBundle() throws Exception {
            Options o = parse("-pfv", "memory", "1G");
            assertEquals("fv", o.listen().port());
            assertFalse(o.execution().foreground() || o.execution().verbose());
        }

        @Test
        void anArgumentMayStartWithADash() throws Exception {
            assertEquals("-U", parse("-p", "-U", "memory").listen().port());
            assertEquals("-v", parse("--export", "-v", "memory").exportName());
            assertFalse(parse("--export", "-v", "memory").execution().verbose());
        }

        @Test
        void doubleDashEndsOptions() throws Exception {
            Options o = parse("-r", "--", "sh", "-", "-v", "--port=3");
            assertEquals("sh", o.plugin());
            assertEquals(List.of("-", "-v", "--port=3"), o.pluginArgs());
            assertFalse(o.execution().verbose());
            assertNull(o.listen().port());
            Options o2 = parse("memory", "--", "-t", "3");
            assertEquals(List.of("-t", "3"), o2.pluginArgs());
            assertEquals(0, o2.threads());
        }

        @Test
        void aLoneDashIsAnArgument() throws Exception {
            Options o = parse("sh", "-", "-f");
            assertEquals(List.of("-"), o.pluginArgs());
            assertTrue(o.execution().foreground());
        }

        @Test
        void posixlyCorrectStopsAtTheFirstNonOption() throws Exception {
            Options o = CommandLine.parse(new String[] {"-r", "memory", "1G", "-f"}, true, false);
            assertTrue(o.readonly());
            assertFalse(o.execution().foreground());
            assertEquals(List.of("1G", "-f"), o.pluginArgs());
        }

        @ParameterizedTest
        @ValueSource(strings = {"--fore", "--foreg", "--no-f", "--no-fork"})
        void unambiguousPrefixes(String opt) throws Exception {
            assertTrue(parse(opt, "memory", "1G").execution().foreground());
        }

        @Test
        void prefixesOfAliasesOfOneOptionAreNotAmbiguous() throws Exception {
            assertEquals("x", parse("--exp=x", "memory").exportName());
            assertEquals("x", parse("--export-", "x", "memory").exportName());
            assertEquals("/p", parse("--pid", "/p", "memory").execution().pidFile());
            assertTrue(parse("--new", "memory").plugin() != null);
            assertTrue(parse("--old", "memory").protocol().oldstyle());
            assertTrue(parse("--read", "memory").readonly());
            assertEquals("7", parse("--po=7", "memory").listen().port());
            assertEquals("py", parse("--py", "py", "memory").python());
        }

        @Test
        void anExactNameWinsOverLongerOnes() throws Exception {
            assertEquals("off", parse("--tls=off", "memory").tls().mode());
            assertEquals("x", parse("--export=x", "memory").exportName());
        }

        @Test
        void ambiguousPrefixes() {
            assertGetoptError("option '--e' is ambiguous; possibilities: '--exit-with-parent' '--export' "
                    + "'--export-name' '--exportname'", "--e", "x", "memory");
            assertGetoptError("option '--ex=x' is ambiguous; possibilities: '--exit-with-parent' '--export' "
                    + "'--export-name' '--exportname'", "--ex=x", "memory");
            assertGetoptError("option '--ipv' is ambiguous; possibilities: '--ipv4-only' '--ipv6-only'",
                    "--ipv", "memory");
            assertGetoptError("option '--no' is ambiguous; possibilities: '--no-fork' '--no-sr' '--no-mc' "
                    + "'--no-meta-contexts' '--no-structured-replies'", "--no", "memory");
            assertGetoptError("option '--v' is ambiguous; possibilities: '--verbose' '--version' '--vsock'",
                    "--v", "memory");
            assertGetoptError("option '--ver' is ambiguous; possibilities: '--verbose' '--version'",
                    "--ver", "memory");
            UsageException e = error("--=x", "memory");
            assertTrue(e.getMessage().startsWith(line("option '--=x' is ambiguous; possibilities: '--ipv4-only'")));
            assertTrue(e.getMessage().endsWith("'--vsock' '--python' '--keepalive' '--keep-alive' '--no-mc' '--no-meta-contexts' "
                    + "'--no-structured-replies' '--print-uri' '--print-url' '--show-uri' '--timeout' '--time-out'"), e.getMessage());
        }

        @Test
        void unknownOptions() {
            assertGetoptError("unrecognized option '--bogus'", "--bogus", "memory", "1G");
            assertGetoptError("unrecognized option '--bogus=1'", "memory", "--bogus=1");
            assertGetoptError("invalid option -- 'x'", "-x", "memory");
            assertGetoptError("invalid option -- 'x'", "-fvx", "memory");
            assertGetoptError("invalid option -- 'é'", "-é", "memory");
        }

        @Test
        void missingArguments() {
            assertGetoptError("option requires an argument -- 'p'", "-p");
            assertGetoptError("option requires an argument -- 'p'", "memory", "1G", "-fp");
            assertGetoptError("option '--port' requires an argument", "memory", "1G", "--port");
            assertGetoptError("option '--port' requires an argument", "memory", "1G", "--po");
            assertGetoptError("option '--exportname' requires an argument", "memory", "--exportname");
        }

        @Test
        void argumentsGivenToFlags() {
            assertGetoptError("option '--help' doesn't allow an argument", "--help=x");
            assertGetoptError("option '--help' doesn't allow an argument", "--he=x");
            assertGetoptError("option '--no-fork' doesn't allow an argument", "--no-f=1", "memory");
            assertGetoptError("option '--long-options' doesn't allow an argument", "--long-options=x");
        }

        @Test
        void errorsComeInCommandLineOrder() {
            assertPlainError(line("error: threads: empty string where we expected a number"),
                    "-t", "x", "--bogus", "memory");
            assertGetoptError("unrecognized option '--bogus'", "--bogus", "-t", "x", "memory");
        }

        @Test
        void laterValuesWin() throws Exception {
            Options o = parse("-p", "1", "--port=2", "-e", "a", "-e", "b", "-t", "3", "-t", "5", "--log=stderr",
                    "--log=null", "memory");
            assertEquals("2", o.listen().port());
            assertEquals("b", o.exportName());
            assertEquals(5, o.threads());
            assertEquals("null", o.execution().log());
        }

        @Test
        void debugFlagsAccumulateInOrder() throws Exception {
            assertEquals(List.of("a.b=1", "nbdkit.backend.datapath=0", "c.d=-2"),
                    parse("-D", "a.b=1", "memory", "--debug=nbdkit.backend.datapath=0", "-Dc.d=-2").execution().debugFlags());
        }
    }

    @Nested
    class Values {
        @ParameterizedTest
        @ValueSource(strings = {"0", "1", "16", "0x10", "010", " 5", "+5", "2147483647"})
        void goodThreads(String t) throws Exception {
            long expected = switch (t) {
                case "0x10" -> 16; case "010" -> 8; case " 5", "+5" -> 5; default -> Long.parseLong(t);
            };
            assertEquals(expected, parse("-t", t, "memory").threads());
        }

        @Test
        void badThreads() {
            String p = Log.program() + ": error: threads: ";
            assertPlainError(p + "empty string where we expected a number", "-t", "x", "memory");
            assertPlainError(p + "empty string where we expected a number", "-t", "", "memory");
            assertPlainError(p + "negative numbers are not allowed", "-t", "-1", "memory");
            assertPlainError(p + "negative numbers are not allowed", "-t", " -1", "memory");
            assertPlainError(p + "could not parse number: \"5x\": trailing garbage", "-t", "5x", "memory");
            assertPlainError(p + "could not parse number: \"5 \": trailing garbage", "-t", "5 ", "memory");
            assertPlainError(p + "could not parse number: \"09\": trailing garbage", "-t", "09", "memory");
            assertPlainError(p + "could not parse number: \"4294967296\": Numerical result out of range",
                    "-t", "4294967296", "memory");
            assertPlainError(p + "could not parse number: \"99999999999999999999999\": Numerical result out of range",
                    "-t", "99999999999999999999999", "memory");
            // nbdkit takes up to 2^32-1; a Java int cannot, so the same message from 2^31
            assertPlainError(p + "could not parse number: \"2147483648\": Numerical result out of range",
                    "-t", "2147483648", "memory");
        }

        @Test
        void maskHandshake() throws Exception {
            assertEquals(3, parse("--mask-handshake=0x3", "memory").protocol().maskHandshake());
            assertEquals(-1, parse("--mask-handshake=4294967295", "memory").protocol().maskHandshake());
            assertPlainError(line("error: mask-handshake: negative numbers are not allowed"),
                    "--mask-handshake=-1", "memory");
            assertPlainError(line("error: mask-handshake: empty string where we expected a number"),
                    "--mask-handshake=x", "memory");
        }

        @ParameterizedTest
        @ValueSource(strings = {"foo", ".b=1", "a.=1", "a.b=", "a=1.b", "a.b", "ab=1", ""})
        void badDebugFlags(String flag) {
            assertPlainError(line("-D (Debug Flag) must have the format NAME.FLAG=N"), "-D", flag, "memory");
        }

        @Test
        void debugFlagValueMustBeANumber() {
            assertPlainError(line("error: flag: empty string where we expected a number") + "\n"
                    + line("-D (Debug Flag) must have the format NAME.FLAG=N"), "-D", "a.b=x", "memory");
        }

        @Test
        void goodDebugFlags() throws Exception {
            for (String f : List.of("a.b=1", "ab.c.d=0x10", "nbdkit.tls.log=99", "a.b=-1", "x.y=1"))
                assertEquals(List.of(f), parse("-D", f, "memory").execution().debugFlags());
        }

        @Test
        void log() {
            String must = "--log must be \"stderr\", \"syslog\", \"null\", \"default\" or an absolute path";
            assertPlainError(line(must), "--log=foo", "memory");
            assertPlainError(line(must), "--log=STDERR", "memory");
        }

        @Test
        void tlsWords() throws Exception {
            for (String off : List.of("off", "OFF", "no", "0", "false", "n", "f"))
                assertEquals("off", parse("--tls=" + off, "memory").tls().mode(), off);
            for (String on : List.of("on", "yes", "1", "true", "Y", "t"))
                assertEquals("on", CommandLine.parseAll(new String[] {"--tls=" + on, "memory"}, false, false).tls().mode(), on);
            for (String req : List.of("require", "required", "force", "REQUIRE"))
                assertEquals("require", CommandLine.parseAll(new String[] {"--tls=" + req, "memory"}, false, false).tls().mode());
            assertPlainError(line("error: could not decipher boolean (foo)"), "--tls=foo", "memory");
        }

        @Test
        void relativePathsBecomeAbsolute() throws Exception {
            String cwd = Path.of("").toAbsolutePath().toString();
            assertEquals(cwd + "/x.pid", parse("-P", "x.pid", "memory").execution().pidFile());
            assertEquals(cwd + "/sub/../sock", parse("-U", "sub/../sock", "memory").listen().unixSocket());
            assertEquals("-", parse("-U", "-", "memory").listen().unixSocket());
            assertPlainError(line("error: cannot convert null or empty path to an absolute path"), "-U", "", "memory");
            assertPlainError(line("error: cannot convert null or empty path to an absolute path"), "-P", "", "memory");
        }

        @Test
        void lastOfIpv4AndIpv6Wins() throws Exception {
            Options o = parse("-4", "-6", "memory");
            assertTrue(o.listen().ipv6Only());
            assertFalse(o.listen().ipv4Only());
            o = parse("-6", "--ipv4-only", "memory");
            assertTrue(o.listen().ipv4Only());
            assertFalse(o.listen().ipv6Only());
        }

        @Test
        void exportNameWithOldstyleIsAccepted() throws Exception {
            Options o = parse("-o", "-e", "foo", "memory");
            assertTrue(o.protocol().oldstyle());
            assertEquals("foo", o.exportName());
        }

        @Test
        void userAndGroupAreKept() throws Exception {
            Options o = parse("-u", "nobody", "-g", "nogroup", "memory");
            assertEquals("nobody", o.execution().user());
            assertEquals("nogroup", o.execution().group());
        }
    }

    @Nested
    class Combinations {
        static final String COMBO = "--dump-plugin, -p, --run, -s, -U or --vsock options cannot be used in this combination";

        @Test
        void forbiddenCombinations() {
            assertPlainError(line(COMBO), "-p", "1", "-U", "-", "memory");
            assertPlainError(line(COMBO), "-s", "-p", "10", "memory");
            assertPlainError(line(COMBO), "-s", "-U", "/s", "memory");
            assertPlainError(line(COMBO), "-s", "--run", "true", "memory");
            assertPlainError(line(COMBO), "-s", "--dump-plugin", "memory");
            assertPlainError(line(COMBO), "-s", "-V", "-p", "1", "memory");
        }

        @Test
        void vsockCombinationsAreCheckedBeforeItIsRefused() {
            for (String[] extra : List.of(new String[] {"-U", "-"}, new String[] {"-s"}, new String[] {"--run", "x"})) {
                String[] args = Stream.concat(Stream.of("--vsock", "memory"), Stream.of(extra)).toArray(String[]::new);
                assertPlainError(line(COMBO), args);
            }
        }

        @Test
        void allowedCombinations() throws Exception {
            parse("-p", "1", "--run", "true", "memory");
            parse("-U", "-", "--run", "true", "memory");
            parse("-p", "1", "--dump-plugin", "memory");
            parse("-U", "-", "--dump-plugin", "memory");
            parse("--run", "true", "--dump-plugin", "memory");
            parse("-s", "-V", "memory");
            parse("-p", "1", "-i", "::1", "-4", "memory");
            parse("--exit-with-parent", "--run", "true", "-p", "10", "memory");
        }

        @Test
        void tlsRequireWithOldstyle() {
            UsageException e = assertThrows(UsageException.class,
                    () -> CommandLine.parseAll(new String[] {"--tls=require", "-o", "memory"}, false, false));
            assertEquals(line("cannot use oldstyle protocol (-o) and require TLS"), e.getMessage());
            assertPlainError(line("cannot use oldstyle protocol (-o) and require TLS"), "--tls=require", "-o", "memory");
        }

        @Test
        void socketActivationRefusesListeningOptions() {
            for (String[] a : List.of(new String[] {"-p", "1"}, new String[] {"-i", "::1"}, new String[] {"-s"},
                    new String[] {"-U", "/s"}, new String[] {"--run", "true"})) {
                String flag = a[0];
                String[] args = Stream.concat(Stream.of(a), Stream.of("memory")).toArray(String[]::new);
                UsageException e = assertThrows(UsageException.class, () -> CommandLine.parse(args, false, true));
                assertEquals(line("cannot use socket activation with " + flag + " flag"), e.getMessage());
            }
        }
    }

    @Nested
    class InformationalAndNoPlugin {
        @Test
        void noPlugin() {
            assertPlainError(line("no plugins given on the command line.") + "\n"
                    + "Use '" + Log.program() + " --help' or read the nbdkit(1) manual page for documentation.");
            assertPlainError(line("no plugins given on the command line.") + "\n"
                    + "Use '" + Log.program() + " --help' or read the nbdkit(1) manual page for documentation.",
                    "-f", "-p", "10");
        }

        @Test
        void dumpPluginNeedsAPlugin() {
            UsageException e = error("--dump-plugin");
            assertTrue(e.getMessage().startsWith(line("use '" + Log.program() + " plugin --dump-plugin' or\n")));
            assertTrue(e.getMessage().endsWith("if you want to find out about the server use --dump-config"));
        }

        @Test
        void helpAndVersionNeedNoPlugin() throws Exception {
            assertTrue(parse("--help").info().help());
            assertTrue(parse("-V").info().version());
            assertTrue(parse("--version", "-s", "-p", "1").info().version(), "no combination check without a plugin");
            Options o = parse("--help", "memory");
            assertTrue(o.info().help());
            assertEquals("memory", o.plugin());
        }

        @Test
        void dumpConfigStopsParsingAtOnce() throws Exception {
            Options o = parse("-f", "--dump-config", "--bogus", "-t", "x");
            assertTrue(o.info().dumpConfig());
            assertTrue(o.execution().foreground());
            assertTrue(parse("--help", "--dump-config").info().dumpConfig());
            assertGetoptError("unrecognized option '--bogus'", "--bogus", "--dump-config");
        }

        @Test
        void listingOptions() throws Exception {
            assertTrue(parse("--long-options", "--bogus").info().longOptions());
            assertTrue(parse("--short-options").info().shortOptions());
        }

        @Test
        void longOptionListingIsNbdkits() {
            List<String> nbdkit132 = List.of("--ipv4-only", "--ipv6-only", "--debug", "--dump-config",
                    "--dump-plugin", "--exit-with-parent", "--export", "--export-name", "--exportname", "--filter",
                    "--foreground", "--no-fork", "--group", "--help", "--ip-addr", "--ipaddr", "--log",
                    "--mask-handshake", "--new-style", "--newstyle", "--no-sr", "--old-style", "--oldstyle",
                    "--pid-file", "--pidfile", "--port", "--read-only", "--readonly", "--run", "--selinux-label",
                    "--single", "--stdin", "--swap", "--threads", "--tls", "--tls-certificates", "--tls-psk",
                    "--tls-verify-peer", "--unix", "--user", "--verbose", "--version", "--vsock");
            List<String> ours = CommandLine.longOptionListing();
            assertEquals(nbdkit132, ours.subList(0, nbdkit132.size()));
            // Then nbdkit 1.44's options; jnbdkit's own --python is accepted but not listed
            // (scripts compare this listing with nbdkit's manual).
            assertEquals(List.of("--keepalive", "--keep-alive", "--no-mc", "--no-meta-contexts",
                    "--no-structured-replies", "--print-uri", "--print-url", "--show-uri", "--timeout", "--time-out"),
                    ours.subList(nbdkit132.size(), ours.size()));
        }

        @Test
        void shortOptionListingIsNbdkits() {
            assertEquals(List.of("-4", "-6", "-D", "-e", "-f", "-g", "-i", "-n", "-o", "-p", "-P", "-r", "-s",
                    "-t", "-u", "-U", "-v", "-V"), CommandLine.shortOptionListing());
            for (String s : CommandLine.shortOptionListing()) {
                char c = s.charAt(1);
                assertTrue(CommandLine.OPTIONS.stream().anyMatch(x -> x.shortName() == c), s);
            }
            assertEquals(CommandLine.OPTIONS.stream().filter(x -> x.shortName() != 0).count(),
                    CommandLine.shortOptionListing().size());
        }
    }

    @Nested
    class Unsupported {
        @Test
        void refusedWithOneLine() {
            assertPlainError(line("--selinux-label is not supported yet"), "--selinux-label=x", "memory");
            assertPlainError(line("--vsock is not supported yet"), "--vsock", "-p", "1", "memory");
        }

        @Test
        void butParsedIntoTheRecord() throws Exception {
            Options o = CommandLine.parseAll(new String[] {"--filter=a", "memory", "--filter", "b", "--tls-psk=/k",
                    "--tls-certificates", "/c", "--tls-verify-peer", "--selinux-label=l", "--vsock"}, false, false);
            assertEquals(List.of("a", "b"), o.filters());
            assertEquals("/k", o.tls().psk());
            assertEquals("/c", o.tls().certificates());
            assertTrue(o.tls().verifyPeer());
            assertEquals("l", o.listen().selinuxLabel());
            assertTrue(o.listen().vsock());
        }

        @Test
        void notCheckedForHelpWithoutPlugin() throws Exception {
            assertTrue(parse("--filter=x", "--help").info().help());
        }
    }

    @Nested
    class Nbdkit144 {
        @Test
        void optionsAndAliases() throws Exception {
            for (String k : List.of("--keepalive", "--keep-alive")) assertTrue(parse(k, "memory").listen().keepalive(), k);
            for (String k : List.of("--no-mc", "--no-meta-contexts")) assertTrue(parse(k, "memory").protocol().noMetaContexts(), k);
            assertTrue(parse("--no-structured-replies", "memory").protocol().noSr());
            for (String k : List.of("--print-uri", "--print-url", "--show-uri")) assertTrue(parse(k, "memory").execution().printUri(), k);
            assertFalse(parse("memory").execution().printUri());
            assertEquals(1_500_000_000L, parse("--timeout=1.5", "memory").protocol().timeoutNanos());
            assertEquals(250_000_000L, parse("--time-out", "250ms", "memory").protocol().timeoutNanos());
            assertEquals(-1, parse("memory").protocol().timeoutNanos());
            assertPlainError(line("--timeout: could not parse delay: 'soon'"), "--timeout=soon", "memory");
        }

        @Test
        void logToAFileOrTheDefault() throws Exception {
            assertEquals("/var/log/x.log", parse("--log=/var/log/x.log", "memory").execution().log());
            assertNull(parse("--log=default", "memory").execution().log());
            assertPlainError(line("--log must be \"stderr\", \"syslog\", \"null\", \"default\" or an absolute path"),
                    "--log=x.log", "memory");
        }
    }
}
