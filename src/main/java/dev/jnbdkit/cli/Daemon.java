package dev.jnbdkit.cli;

import dev.jnbdkit.posix.ProcessCalls;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Running in the background without fork(2): the command starts a second JVM with the same
 * arguments and waits until that server says it is ready (listening, pidfile written) by
 * creating a marker file; any failure before that becomes the command's own failure, with the
 * server's message on stderr. Until it is ready the server shares the command's stdout and
 * stderr, as nbdkit does before it forks.
 */
final class Daemon {
    /** Set in the background server's environment: where to say it is ready. */
    static final String READY_ENV = "JNBDKIT_READY_FILE";

    private Daemon() {}

    static boolean isChild() { return System.getenv(READY_ENV) != null; }

    /** In the foreground process: start the background server and wait for it to be ready. */
    static int detach() throws IOException, InterruptedException {
        ProcessHandle.Info info = ProcessHandle.current().info();
        String javaCmd = info.command().orElseThrow(() -> new IOException("cannot find the java command"));
        List<String> cmd = new ArrayList<>();
        cmd.add(javaCmd);
        cmd.addAll(List.of(info.arguments().orElseThrow(() -> new IOException("cannot read this process's arguments"))));
        Path dir = Files.createTempDirectory("jnbdkit-start");
        Path ready = dir.resolve("ready");
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd);
            pb.environment().put(READY_ENV, ready.toString());
            pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            pb.redirectOutput(ProcessBuilder.Redirect.INHERIT);
            pb.redirectError(ProcessBuilder.Redirect.INHERIT);
            Process p = pb.start();
            while (true) {
                if (Files.exists(ready)) return 0;
                if (p.waitFor(5, java.util.concurrent.TimeUnit.MILLISECONDS)) {
                    if (Files.exists(ready)) return 0;
                    int status = p.exitValue();
                    return status == 0 ? 1 : status;
                }
            }
        } finally {
            Files.deleteIfExists(ready);
            Files.deleteIfExists(dir);
        }
    }

    /** In the background server, once it accepts connections: detach and release the command. */
    static void ready() throws IOException {
        ProcessCalls.setsid();
        System.out.flush();
        System.err.flush();
        int devnull = ProcessCalls.open("/dev/null", ProcessCalls.O_RDWR, 0);
        ProcessCalls.dup2(devnull, 1);
        ProcessCalls.dup2(devnull, 2);
        ProcessCalls.close(devnull);
        Files.createFile(Path.of(System.getenv(READY_ENV)));
    }
}
