package dev.jnbdkit.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs one client command to completion with a timeout, output captured to files (no pipe can
 * fill up and block the child). Every result carries its full command line and output so that a
 * failed assertion shows what happened.
 */
public final class Cmd {
    /** Generous: machines are shared and noisy. Never used to judge speed. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(5);

    /**
     * PATH for clients: Debian's /usr/bin first, so that nbdsh (a shell script running
     * {@code python3 -m nbd}) finds the python3 that has libnbd's bindings, not pyenv's.
     */
    public static final String CLIENT_PATH = "/usr/bin:/bin:/usr/sbin:/sbin"
            + (System.getenv("PATH") == null ? "" : ":" + System.getenv("PATH"));

    private final List<String> argv = new ArrayList<>();
    private final Map<String, String> env = new LinkedHashMap<>();
    private final java.util.Set<String> unset = new java.util.LinkedHashSet<>();
    private boolean merge;
    private Duration timeout = DEFAULT_TIMEOUT;
    private Path dir;
    private String stdin;
    private boolean clientPath = true;

    private Cmd(List<String> argv) { this.argv.addAll(argv); }

    public static Cmd of(String... argv) { return new Cmd(List.of(argv)); }

    public static Cmd of(List<String> argv) { return new Cmd(argv); }

    /** A /bin/sh script line (the way nbdkit's --run would run it). */
    public static Cmd sh(String script) { return of("/bin/sh", "-c", script); }

    public Cmd env(String k, String v) { env.put(k, v); return this; }

    /** Removes a variable from the inherited environment. */
    public Cmd unsetEnv(String k) { unset.add(k); return this; }

    /** stdout and stderr together, in order, as {@code out()} ({@code err()} is then empty). */
    public Cmd mergeOutput() { merge = true; return this; }

    public Cmd timeout(Duration d) { timeout = d; return this; }

    public Cmd dir(Path d) { dir = d; return this; }

    public Cmd stdin(String s) { stdin = s; return this; }

    /** Keep the caller's PATH unchanged (used to run the server under test). */
    public Cmd inheritPath() { clientPath = false; return this; }

    public Result run() {
        Clients.require(argv.get(0));
        Path out = null, err = null, in = null;
        try {
            out = Files.createTempFile("it-cmd", ".out");
            err = Files.createTempFile("it-cmd", ".err");
            ProcessBuilder pb = new ProcessBuilder(argv)
                    .redirectOutput(out.toFile());
            if (merge) pb.redirectErrorStream(true); else pb.redirectError(err.toFile());
            if (stdin != null) {
                in = Files.createTempFile("it-cmd", ".in");
                Files.writeString(in, stdin);
                pb.redirectInput(in.toFile());
            } else {
                pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            }
            // Clients run in target/it-work, so that droppings (fio's *-verify.state) stay there.
            Path wd = dir != null ? dir : Server.home().resolve("target/it-work");
            Files.createDirectories(wd);
            pb.directory(wd.toFile());
            unset.forEach(pb.environment()::remove);
            if (clientPath) pb.environment().put("PATH", CLIENT_PATH);
            pb.environment().putAll(env);
            Process p = pb.start();
            boolean done = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (!done) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                p.waitFor(30, TimeUnit.SECONDS);
            }
            Result r = new Result(argv, env, done ? p.exitValue() : -1, !done,
                    read(out), read(err));
            Transcript.add(r);
            return r;
        } catch (IOException e) {
            throw new AssertionError("cannot run " + argv + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted running " + argv, e);
        } finally {
            for (Path p : new Path[] {out, err, in}) {
                if (p != null) try { Files.deleteIfExists(p); } catch (IOException ignored) { }
            }
        }
    }

    /** Runs and asserts exit status 0. */
    public Result ok() { return run().ok(); }

    /** Runs and asserts a non-zero exit status. */
    public Result fails() { return run().fails(); }

    /** Runs and asserts the given exit status. */
    public Result exit(int status) { return run().exit(status); }

    private static String read(Path p) throws IOException {
        return new String(Files.readAllBytes(p), StandardCharsets.UTF_8);
    }

    public record Result(List<String> argv, Map<String, String> env, int exit, boolean timedOut,
                  String out, String err) {

        public Result ok() {
            if (timedOut || exit != 0) throw new AssertionError("command failed\n" + this);
            return this;
        }

        public Result fails() {
            if (timedOut || exit == 0) {
                throw new AssertionError("command was expected to fail\n" + this);
            }
            return this;
        }

        public Result exit(int expected) {
            if (timedOut || exit != expected) {
                throw new AssertionError("expected exit status " + expected + "\n" + this);
            }
            return this;
        }

        @Override public String toString() {
            StringBuilder sb = new StringBuilder();
            sb.append("$ ");
            env.forEach((k, v) -> sb.append(k).append('=').append(Transcript.quote(v)).append(' '));
            sb.append(Transcript.quoteAll(argv)).append('\n');
            sb.append(timedOut ? "TIMED OUT (killed)" : "exit status " + exit).append('\n');
            if (!out.isEmpty()) sb.append("--- stdout ---\n").append(Transcript.clip(out)).append('\n');
            if (!err.isEmpty()) sb.append("--- stderr ---\n").append(Transcript.clip(err)).append('\n');
            return sb.toString();
        }
    }
}
