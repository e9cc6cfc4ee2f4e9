package dev.jnbdkit.filters.log;

import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.Nbdkit;
import dev.jnbdkit.spi.PluginException;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;

/**
 * Where log entries go: the log file (one line each, timestamped, flushed at once) and the log
 * script (run with bash for each entry, the entry's fields as shell variables, its exit status
 * ignored). Entries are written one at a time, in the order they happen.
 */
final class LogSinks {
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSSSS");

    private final OutputStream file;
    private final String script;

    private LogSinks(OutputStream file, String script) {
        this.file = file;
        this.script = script;
    }

    static LogSinks open(String logfile, boolean append, String script) {
        OutputStream out = null;
        if (logfile != null) {
            try {
                out = Files.newOutputStream(Path.of(logfile), StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                        append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING);
            } catch (IOException e) {
                throw new PluginException(Errno.EIO, "fopen: " + logfile + ": " + e.getMessage());
            }
        }
        return new LogSinks(out, script);
    }

    /** False when neither a file nor a script was given: the filter does nothing. */
    boolean active() { return file != null || script != null; }

    synchronized void write(LogEntry e) {
        if (file != null) {
            String line = LocalDateTime.now().format(STAMP) + " " + e.line() + "\n";
            try {
                file.write(line.getBytes(StandardCharsets.UTF_8));
                file.flush();
            } catch (IOException x) {
                Nbdkit.error("log: cannot write " + x.getMessage());
            }
        }
        if (script != null) runScript(e);
    }

    private void runScript(LogEntry e) {
        try {
            Process p = new ProcessBuilder("bash", "-c", e.scriptVariables() + script)
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD) // the server's stdout once configured: /dev/null, as nbdkit's
                    .redirectError(ProcessBuilder.Redirect.INHERIT)
                    .start();
            p.waitFor();
        } catch (IOException x) {
            Nbdkit.error("log: cannot run logscript: " + x.getMessage());
        } catch (InterruptedException x) {
            Thread.currentThread().interrupt();
        }
    }

    synchronized void close() {
        if (file == null) return;
        try {
            file.close();
        } catch (IOException x) {
            Nbdkit.error("log: " + x.getMessage());
        }
    }
}
