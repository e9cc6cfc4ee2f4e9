package dev.jnbdkit.plugins;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** Runs {@code bin/jnbdkit} in captive mode ({@code -U - ... --run CMD}) for interop tests. */
public final class Jnbdkit {
    private Jnbdkit() {}

    public record Result(int exit, String out) {}

    public static Path home() {
        return Path.of(System.getProperty("jnbdkit.home", ".")).toAbsolutePath();
    }

    /** Skip the test unless {@code tool} is on PATH. */
    public static void require(String tool) {
        boolean found = false;
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool))) found = true;
        }
        assertTrue(found, tool + " is not installed");
    }

    /** {@code jnbdkit -U - <args...> --run <run>}: exit status and stdout+stderr. */
    public static Result captive(String run, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(home().resolve("bin/jnbdkit").toString());
        cmd.add("-U");
        cmd.add("-");
        cmd.addAll(List.of(args));
        cmd.add("--run");
        cmd.add(run);
        return exec(cmd);
    }

    public static Result exec(List<String> cmd) throws IOException, InterruptedException {
        return exec(cmd, java.util.Map.of());
    }

    /** Runs {@code cmd} with extra environment variables; stdout and stderr together. */
    public static Result exec(List<String> cmd, java.util.Map<String, String> env)
            throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("timed out: " + cmd);
        }
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    public static Result sh(String script) throws IOException, InterruptedException {
        return exec(List.of("/bin/sh", "-c", script));
    }
}
