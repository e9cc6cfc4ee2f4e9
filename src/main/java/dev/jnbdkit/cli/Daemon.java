package dev.jnbdkit.cli;

import dev.jnbdkit.posix.ProcessCalls;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Running in the background without fork(2): the command starts a second JVM with the same
 * arguments and waits until it says it is ready (listening, pidfile written) on a pipe; any
 * failure before that becomes the command's own failure, with the server's message on stderr.
 */
final class Daemon {
    /** Set in the background server's environment. */
    static final String CHILD_ENV = "JNBDKIT_DAEMON_CHILD";
    private static final String READY = "jnbdkit-ready";

    private Daemon() {}

    static boolean isChild() { return System.getenv(CHILD_ENV) != null; }

    /** In the foreground process: start the background server and wait for it to be ready. */
    static int detach() throws IOException, InterruptedException {
        ProcessHandle.Info info = ProcessHandle.current().info();
        String java = info.command().orElseThrow(() -> new IOException("cannot find the java command"));
        List<String> cmd = new ArrayList<>();
        cmd.add(java);
        cmd.addAll(List.of(info.arguments().orElseThrow(() -> new IOException("cannot read this process's arguments"))));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put(CHILD_ENV, "1");
        pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.redirectError(ProcessBuilder.Redirect.INHERIT);
        pb.redirectOutput(ProcessBuilder.Redirect.PIPE);
        Process p = pb.start();
        try (InputStream out = p.getInputStream()) {
            String line = new String(out.readNBytes(READY.length() + 1), StandardCharsets.US_ASCII);
            if (line.startsWith(READY)) return 0;
        }
        int status = p.waitFor();
        return status == 0 ? 1 : status;
    }

    /** In the background server, once it accepts connections: release the waiting command. */
    static void ready() throws IOException {
        ProcessCalls.setsid();
        System.out.print(READY + "\n");
        System.out.flush();
        int devnull = ProcessCalls.open("/dev/null", ProcessCalls.O_RDWR, 0);
        ProcessCalls.dup2(devnull, 1);
        ProcessCalls.dup2(devnull, 2);
        ProcessCalls.close(devnull);
    }
}
