package dev.jnbdkit.log;

import java.io.PrintStream;

/** Where formatted log lines go. */
public interface LogSink {
    enum Level { ERROR, WARNING, DEBUG }

    void write(Level level, String line);

    /** Standard error, one line at a time (lines from concurrent threads never interleave). */
    LogSink STDERR = new LogSink() {
        private final PrintStream err = System.err;

        @Override
        public void write(Level level, String line) {
            synchronized (this) {
                err.println(line);
                err.flush();
            }
        }
    };

    /** {@code --log=null}: discard everything. */
    LogSink NULL = (level, line) -> {};
}
