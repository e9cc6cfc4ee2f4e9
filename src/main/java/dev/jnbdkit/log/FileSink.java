package dev.jnbdkit.log;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * {@code --log=/path} (nbdkit 1.44): errors and warnings appended to a file, one line at a time;
 * debug messages ({@code -v}) still go to standard error, as nbdkit's do.
 */
public final class FileSink implements LogSink {
    private final PrintStream out;

    public FileSink(String path) throws IOException {
        this.out = new PrintStream(new FileOutputStream(path, true), false, StandardCharsets.UTF_8);
    }

    @Override
    public void write(Level level, String line) {
        if (level == Level.DEBUG) {
            LogSink.STDERR.write(level, line);
            return;
        }
        synchronized (this) {
            out.println(line);
            out.flush();
        }
    }
}
