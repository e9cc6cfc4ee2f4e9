package dev.jnbdkit.cli;

import dev.jnbdkit.posix.JdkDescriptorCalls;
import dev.jnbdkit.posix.ProcessCalls;
import dev.jnbdkit.posix.Spawn;
import dev.jnbdkit.server.Transport;
import dev.jnbdkit.server.Transports;
import dev.jnbdkit.spi.Nbdkit;

import java.io.IOException;
import java.nio.channels.SocketChannel;

/**
 * The server's stdin and stdout, as nbdkit handles them.
 *
 * <p>For {@code -s}: the client is on stdin/stdout, and nothing a plugin prints, even at load
 * time, may reach it. {@link #takeConnection} runs before any plugin code. When stdin and stdout
 * are one socket (libnbd's connect_command, inetd), bin/jnbdkit has already pointed stdout at
 * stderr and the socket is adopted from descriptor 0 with no native call. Otherwise (pipes) the
 * two descriptors move to new close-on-exec ones, descriptor 1 is pointed at stderr and 0 at
 * /dev/null.
 *
 * <p>After configuration (the plugin's get_ready), {@link #afterConfiguration} points stdin and
 * stdout at /dev/null, as nbdkit does, so that a plugin that reads or prints while serving never
 * touches the terminal or a captive command's output. With {@code --run} or {@code --print-uri}
 * the originals are kept (close-on-exec): the {@code --run} command gets them back
 * ({@link #runWithOriginals}), the URI is printed on the original stdout.
 */
final class Stdio {
    private Stdio() {}

    /** Close-on-exec copies of the original descriptors 0 and 1, or -1. */
    private static int savedIn = -1, savedOut = -1;
    /** System.out as it was, when only System.out was pointed at nothing (descriptor 1 untouched). */
    private static java.io.PrintStream javaStdout;
    /** Descriptor 0 is the -s connection itself (an adopted socket): it must stay. */
    private static boolean stdinIsConnection;

    static Transport takeConnection() throws IOException {
        Nbdkit.stdioIsTheConnection();
        System.out.flush();
        if ("1".equals(System.getenv("JNBDKIT_STDIO_SOCKET"))
                && System.inheritedChannel() instanceof SocketChannel socket) {
            stdinIsConnection = true;
            return Transports.socket(socket);
        }
        int in = ProcessCalls.dupCloexec(0);
        int out = ProcessCalls.dupCloexec(1);
        ProcessCalls.dup2(2, 1);
        int devnull = ProcessCalls.open("/dev/null", ProcessCalls.O_RDWR, 0);
        ProcessCalls.dup2(devnull, 0);
        ProcessCalls.close(devnull);
        return Transports.fds(in, out);
    }

    /**
     * Configuration is over (after get_ready, before after_fork): stdin and stdout become
     * /dev/null. The originals are kept only when {@code keepOriginals} (--run's command and
     * --print-uri use them); with {@code -s} there is nothing to keep (the connection has its own
     * descriptors; a socket adopted on descriptor 0 stays where it is). Every start passes here,
     * and the first FFM downcalls are the dearest part of a cold start (~0.2 s of CPU, measured,
     * where nbdkit spends ~0.01–0.03 s in all), so neither way below needs FFM unless originals
     * are kept.
     *
     * @param javaOnly every layer is jnbdkit's own Java code, which reads and prints only through
     *                 System.in/System.out: those are pointed at nothing and the descriptors stay.
     *                 Otherwise (native code: the python plugin, a user's jar) the descriptors
     *                 themselves go to /dev/null, through the JDK's own natives
     *                 ({@link JdkDescriptorCalls}) when they are open to us.
     */
    static void afterConfiguration(boolean single, boolean javaOnly, boolean keepOriginals) {
        Nbdkit.configurationDone();
        System.out.flush();
        if (javaOnly) {
            javaStdout = System.out;
            System.setOut(new java.io.PrintStream(java.io.OutputStream.nullOutputStream()));
            System.setIn(java.io.InputStream.nullInputStream());
            return;
        }
        // Under socket activation descriptor 0 is (or is about to be) the listening socket:
        // bin/jnbdkit moves it there from 3, for the JDK's inheritedChannel.
        boolean stdinToo = !stdinIsConnection && !CommandLine.socketActivationRequested();
        try {
            if (!single && keepOriginals) {
                savedIn = ProcessCalls.dupCloexec(0);
                savedOut = ProcessCalls.dupCloexec(1);
            }
            if (JdkDescriptorCalls.available()) {
                int devnull = JdkDescriptorCalls.openDevNull();
                if (stdinToo) JdkDescriptorCalls.dup2(devnull, 0);
                JdkDescriptorCalls.dup2(devnull, 1);
                JdkDescriptorCalls.close(devnull);
            } else {
                int devnull = ProcessCalls.open("/dev/null", ProcessCalls.O_RDWR, 0);
                if (stdinToo) ProcessCalls.dup2(devnull, 0);
                ProcessCalls.dup2(devnull, 1);
                ProcessCalls.close(devnull);
            }
        } catch (IOException e) {
            // A closed stdin or stdout: there is nothing to protect.
        }
    }

    /**
     * Runs the {@code --run} command ({@code argv}, environment {@code env}) with the server's
     * original stdin and stdout, and waits for it; returns its status (128 + signal if killed).
     * It is spawned with those descriptors directly: the server's own 0 and 1 stay on /dev/null
     * throughout, so a plugin printing meanwhile never reaches the command's output.
     */
    static int runWithOriginals(java.util.List<String> argv, java.util.Map<String, String> env) throws IOException {
        return Spawn.run(argv, env, savedIn < 0 ? 0 : savedIn, savedOut < 0 ? 1 : savedOut);
    }

    /**
     * Where output meant for the user goes once stdout is /dev/null (--print-uri): the original
     * stdout, reopened through /proc (a terminal, file or pipe), else System.out.
     */
    static java.io.PrintStream originalStdout() {
        if (javaStdout != null) return javaStdout;
        if (savedOut < 0) return System.out;
        try {
            return new java.io.PrintStream(java.nio.file.Files.newOutputStream(
                    java.nio.file.Path.of("/proc/self/fd/" + savedOut), java.nio.file.StandardOpenOption.APPEND), true);
        } catch (IOException | UnsupportedOperationException e) {
            return System.out;
        }
    }
}
