package dev.jnbdkit.plugins.curl;

import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.PluginException;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * A {@code header-script} or {@code cookie-script}: a shell fragment run with {@code /bin/sh -c}
 * (shell variables {@code $iteration}, from 0, and {@code $url}; stdin from /dev/null; stderr to
 * the server's), whose output lines are kept and used for every request until {@code renew}
 * seconds (0: never) have passed since it last ran; the next request then runs it again.
 */
final class RenewedScript {
    private final String key;
    private final String script;
    private final String url;
    private final long renewNanos;
    private final boolean debug;
    private int iteration;
    private long lastRun;
    private List<String> lines;

    RenewedScript(String key, String script, String url, long renewSeconds, boolean debug) {
        this.key = key;
        this.script = script;
        this.url = url;
        this.renewNanos = renewSeconds * 1_000_000_000L;
        this.debug = debug;
    }

    /** The script's output lines, running it first if it has not run or its output is stale. */
    synchronized List<String> lines() {
        long now = System.nanoTime();
        if (lines == null || (renewNanos > 0 && now - lastRun > renewNanos)) {
            lines = run();
            lastRun = System.nanoTime();
            iteration++;
        }
        return lines;
    }

    private List<String> run() {
        String program = "iteration=" + iteration + "\nurl=" + shellQuote(url) + "\n" + script;
        ProcessBuilder pb = new ProcessBuilder("/bin/sh", "-c", program)
                .redirectInput(new File("/dev/null"))
                .redirectError(ProcessBuilder.Redirect.INHERIT);
        try {
            Process p = pb.start();
            byte[] out = p.getInputStream().readAllBytes();
            int status = p.waitFor();
            if (status != 0) {
                throw new PluginException(Errno.EIO, key + ": failed with exit code " + status);
            }
            List<String> result = new String(out, StandardCharsets.UTF_8).lines().filter(l -> !l.isBlank()).toList();
            if (debug) for (String l : result) CurlPlugin.debug(key + ": " + l);
            return result;
        } catch (IOException e) {
            throw new PluginException(Errno.EIO, key + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PluginException(Errno.EIO, key + ": interrupted");
        }
    }

    static String shellQuote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }
}
