package dev.jnbdkit.pyconf;

import dev.jnbdkit.it.Server;
import dev.jnbdkit.it.Server.Impl;
import dev.jnbdkit.pyconf.Servers.Spec;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Python host as nbdkit's, and nbdkit 1.44's module functions through real clients.
 *
 * <p>Differential (the same plugin under nbdkit 1.32 and jnbdkit): the script's {@code __main__}
 * ({@code __name__}, {@code __file__} only while it loads, {@code __builtins__} the builtins
 * module, its loader, {@code sys.argv}, {@code sys.path[0]}), stdin and stdout in each phase
 * (the originals until get_ready, /dev/null from after_fork on; the {@code --run} command keeps
 * the originals, and what the plugin prints while serving does not reach its output), and the
 * argument types the module functions of both accept (TypeError for {@code debug(b'x')}...).
 *
 * <p>jnbdkit only (nbdkit 1.32's module has none of them; nbdkit 1.44's pages are the
 * contract): peer_pid/uid/gid of a Unix-socket client and their failure over TCP, is_tls,
 * stdio_safe, nanosleep and the TLS distinguished names of a verified client certificate;
 * read_password in every form (literal, +FILE, -FD, - on a terminal with echo off, - refused
 * when stdin is not a terminal or is the -s connection).
 */
class Py144IT extends PyConfBase {
    private static final String JNBDKIT = Server.home().resolve("bin/jnbdkit").toString();

    /** Both servers run Debian's Python, so that sys.path is the same interpreter's. */
    private static Spec host(String probes) {
        return new Spec("host.py").env("JNBDKIT_PYTHON", Servers.CLIENT_PYTHON).env("HOST_PROBES", probes);
    }

    @Test
    void theScriptsMainStdioAndArgumentChecksAreNbdkits() throws Exception {
        Obs j = sameWithTrace(host(""), l -> !l.startsWith("new"), s -> Servers.probe(s, "-", "read:0:512"));
        String t = j.trace();
        assertLine(t, "main __name__ __main__");
        assertLine(t, "main __file__ host.py");
        assertLine(t, "main __builtins__ module True");
        assertLine(t, "main is sys.modules['__main__'] True");
        assertLine(t, "main __loader__ SourceFileLoader");
        assertLine(t, "main sys.argv ['']");
        assertLine(t, "after load __file__ False False");
        // The harness starts servers with stdin on /dev/null; stdout (the log file) shows that the
        // originals are kept until get_ready and replaced by /dev/null after it.
        assertLine(t, "stdio load 0=/dev/null 1=$DIR/log");
        assertLine(t, "stdio get_ready 0=/dev/null 1=$DIR/log");
        assertLine(t, "stdio after_fork 0=/dev/null 1=/dev/null");
        assertLine(t, "stdio pread 0=/dev/null 1=/dev/null");
        assertLine(t, "arg debug(b'x') -> TypeError: debug() argument 1 must be str, not bytes");
        assertLine(t, "arg debug(1) -> TypeError: debug() argument 1 must be str, not int");
        assertLine(t, "arg debug(None) -> TypeError: debug() argument 1 must be str, not None");
        assertLine(t, "arg parse_size(b'1M') -> TypeError: parse_size() argument 1 must be str, not bytes");
        assertLine(t, "arg export_name() -> RuntimeError: nbdkit.export_name failed");
        assertLine(t, "arg repr(debug) -> str '<built-in function debug>'");
        assertContains(j.log(), "error: no connection in this thread");
        assertFalse(j.log().contains("printed in pread"), j.log());
    }

    /** --run: the command gets the server's original stdin and stdout; the plugin's prints do not. */
    @Test
    void theRunCommandKeepsTheOriginalStdio() throws Exception {
        Path input = tmp.resolve("stdin.txt");
        Files.writeString(input, "the original stdin\n");
        String[] outs = new String[2];
        for (Impl impl : Impl.values()) {
            ProcessBuilder pb = new ProcessBuilder(impl.command(), "-U", "-", "python",
                    Servers.plugin("host.py").toString(), "--run", "nbdinfo --size \"$uri\"; cat; echo end")
                    .redirectInput(input.toFile()).redirectError(ProcessBuilder.Redirect.DISCARD);
            pb.environment().put("PATH", "/usr/bin:/bin");
            pb.environment().put("JNBDKIT_PYTHON", Servers.CLIENT_PYTHON);
            Process p = pb.start();
            outs[impl.ordinal()] = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(120, TimeUnit.SECONDS));
            assertEquals(0, p.exitValue(), impl + ": " + outs[impl.ordinal()]);
        }
        assertEquals(outs[Impl.NBDKIT.ordinal()], outs[Impl.JNBDKIT.ordinal()]);
        assertEquals("512\nthe original stdin\nend\n", outs[Impl.JNBDKIT.ordinal()]);
    }

    @Test
    void peerCredentialsTlsAndSleepOverAUnixSocket() throws Exception {
        Obs j = observe(Impl.JNBDKIT, host("new"), s -> Servers.probe(s, "-", "read:0:512"));
        String t = j.trace();
        assertLine(t, "new outside is_tls RuntimeError: nbdkit.is_tls failed peer_pid RuntimeError: nbdkit.peer_pid failed"
                + " stdio_safe bool True");
        assertLine(t, "new open peer_pid a live process: python3");
        assertContains(t, "new open peer_uid int ");
        assertContains(t, "== uid True");
        assertLine(t, "new open is_tls bool False stdio_safe bool False");
        assertLine(t, "new open peer_tls_dn str '' issuer str ''");
        assertLine(t, "new open nanosleep NoneType None");
        // SO_PEERSEC: this kernel has no security module labelling Unix sockets (ENOPROTOOPT)
        assertLine(t, "new open peer_security_context RuntimeError: nbdkit.peer_security_context failed");
        assertContains(j.log(), "getsockopt: SO_PEERSEC: Protocol not available");
    }

    /** nbdkit_peer_pid(3): "only available when the client connected over a Unix domain socket". */
    @Test
    void peerCredentialsFailOverTcp() throws Exception {
        int port;
        try (var probe = new java.net.ServerSocket(0)) {
            port = probe.getLocalPort();
        }
        Path trace = tmp.resolve("tcp-trace");
        Run r = run(List.of(JNBDKIT, "-i", "127.0.0.1", "-p", Integer.toString(port), "python",
                Servers.plugin("host.py").toString(), "--run", "nbdinfo --size nbd://127.0.0.1:" + port),
                Map.of("HOST_PROBES", "new", "PYCONF_TRACE", trace.toString()), null);
        assertEquals(0, r.status(), r.out());
        String t = Servers.read(trace);
        assertLine(t, "new open peer_pid RuntimeError: nbdkit.peer_pid failed");
        assertContains(t, "new open peer_gid RuntimeError: nbdkit.peer_gid failed");
        assertContains(r.out(), "only available when the client connects over a Unix domain socket");
    }

    @Test
    void readPasswordLiteralFileAndDescriptor() throws Exception {
        Path file = tmp.resolve("pw");
        Files.writeString(file, "from file\nsecond line\n");
        Path trace = tmp.resolve("pw-trace");
        Run r = run(List.of("/bin/bash", "-c", "exec 7<\"$PWFD\"; exec \"$@\"", "bash", JNBDKIT, "-U", "-", "python",
                        Servers.plugin("password.py").toString(), "password=literal", "password=+" + file,
                        "password=-7", "password=-1", "password=-", "--run", "true"),
                Map.of("PYCONF_TRACE", trace.toString(), "PWFD", file.toString()), null);
        assertEquals(0, r.status(), r.out());
        String t = Servers.read(trace);
        assertLine(t, "read_password 'literal' -> b'literal'");
        assertLine(t, "read_password '+" + file + "' -> b'from file'");
        assertLine(t, "read_password '-7' -> b'from file'");
        assertLine(t, "read_password '-1' -> RuntimeError: nbdkit.read_password failed");
        assertLine(t, "read_password '-' -> RuntimeError: nbdkit.read_password failed");
        assertContains(r.out(), "error: cannot use password -FD for stdin/stdout/stderr");
        assertContains(r.out(), "error: stdin is not a tty, cannot read password interactively");
    }

    /**
     * password=- on a terminal (script(1) gives the server one): the prompt, then one line read
     * with echo off. The line is typed once the prompt is there: turning echo off flushes what
     * was typed before (TCSAFLUSH, as nbdkit).
     */
    @Test
    void readPasswordFromTheTerminal() throws Exception {
        Path trace = tmp.resolve("tty-trace");
        String server = JNBDKIT + " -U - python " + Servers.plugin("password.py") + " password=- --run true";
        ProcessBuilder pb = new ProcessBuilder("script", "-qec", server, "/dev/null").redirectErrorStream(true);
        pb.environment().put("PATH", "/usr/bin:/bin");
        pb.environment().put("JNBDKIT_PYTHON", Servers.CLIENT_PYTHON);
        pb.environment().put("PYCONF_TRACE", trace.toString());
        Process p = pb.start();
        StringBuilder out = new StringBuilder();
        var in = p.getInputStream();
        int c;
        while (!out.toString().contains("password: ") && (c = in.read()) >= 0) out.append((char) c);
        p.getOutputStream().write("hunter2\n".getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().flush();
        out.append(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out.toString());
        assertLine(Servers.read(trace), "read_password '-' -> b'hunter2'");
        assertFalse(out.toString().contains("hunter2"), "the password was echoed: " + out);
    }

    /** With -s, stdin is the connection: password=- is refused (nbdkit_stdio_safe(3)). */
    @Test
    void readPasswordRefusesStdinUnderSingle() throws Exception {
        Path trace = tmp.resolve("s-trace");
        Run r = run(List.of(JNBDKIT, "-s", "python", Servers.plugin("password.py").toString(), "password=-"),
                Map.of("PYCONF_TRACE", trace.toString()), "");
        assertLine(Servers.read(trace), "read_password '-' -> RuntimeError: nbdkit.read_password failed");
        assertContains(r.out(), "error: stdin is not available for reading password");
    }

    /** nbdkit_peer_tls_dn(3)'s example: a client certificate signed by the CA under --tls-verify-peer. */
    @Test
    void peerTlsDistinguishedNames() throws Exception {
        assertTrue(Files.isExecutable(Path.of("/usr/bin/certtool")), "certtool (Debian package gnutls-bin) is needed");
        Path pki = Files.createDirectories(tmp.resolve("pki"));
        Files.writeString(pki.resolve("ca.info"), "cn = BigCo\nca\ncert_signing_key\nexpiration_days = 30\n");
        certtool(pki, "--generate-privkey", "--outfile", "ca-key.pem");
        certtool(pki, "--generate-self-signed", "--load-privkey", "ca-key.pem", "--template", "ca.info",
                "--outfile", "ca-cert.pem");
        cert(pki, "server", "cn = localhost\ndns_name = localhost\ntls_www_server\n");
        cert(pki, "client", "country = US\nstate = New York\nlocality = New York\norganization = BigCo\n"
                + "cn = client.example.com\ntls_www_client\n");
        Path trace = tmp.resolve("tls-trace");
        Run r = run(List.of(JNBDKIT, "-U", "-", "--tls=require", "--tls-certificates=" + pki, "--tls-verify-peer",
                        "python", Servers.plugin("host.py").toString(), "--run",
                        "nbdinfo --size \"nbds+unix:///?socket=$unixsocket&tls-certificates=" + pki + "\""),
                Map.of("HOST_PROBES", "new", "PYCONF_TRACE", trace.toString()), null);
        assertEquals(0, r.status(), r.out());
        String t = Servers.read(trace);
        assertContains(t, "new open is_tls bool True");
        assertLine(t, "new open peer_tls_dn str 'CN=client.example.com,O=BigCo,L=New York,ST=New York,C=US'"
                + " issuer str 'CN=BigCo'");
    }

    // ---------------------------------------------------------------------------------------------

    private static void cert(Path d, String who, String template) throws Exception {
        Files.writeString(d.resolve(who + ".info"), template + "encryption_key\nsigning_key\nexpiration_days = 30\n");
        certtool(d, "--generate-privkey", "--outfile", who + "-key.pem");
        certtool(d, "--generate-certificate", "--load-ca-certificate", "ca-cert.pem", "--load-ca-privkey", "ca-key.pem",
                "--load-privkey", who + "-key.pem", "--template", who + ".info", "--outfile", who + "-cert.pem");
    }

    private static void certtool(Path d, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("certtool"));
        cmd.addAll(List.of(args));
        Run r = run(cmd, Map.of(), null, d.toFile());
        assertEquals(0, r.status(), "certtool: " + r.out());
    }

    record Run(int status, String out) {}

    private static Run run(List<String> cmd, Map<String, String> env, String input) throws Exception {
        return run(cmd, env, input, null);
    }

    /** Runs a command to completion: stdout and stderr together; {@code input} on its stdin (null: none). */
    private static Run run(List<String> cmd, Map<String, String> env, String input, File dir) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        if (dir != null) pb.directory(dir);
        pb.environment().put("PATH", "/usr/bin:/bin");
        pb.environment().put("JNBDKIT_PYTHON", Servers.CLIENT_PYTHON);
        pb.environment().putAll(env);
        Process p = pb.start();
        if (input != null) p.getOutputStream().write(input.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("did not finish: " + cmd + "\n" + out);
        }
        return new Run(p.exitValue(), out);
    }
}
